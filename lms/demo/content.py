"""Names and texts of the demo county, all fictional. Figures follow /work/shared/DOMAIN.md."""

from typing import NamedTuple

CITY = "清源市"
CITY_SCHOOL = {
    "title": "清源市委党校",
    "slug": "qingyuan",
    "address": "清源市文昌路18号",
    "description": (
        "<p>清源市委党校是全市干部教育培训的主阵地，设有报告厅、标准教室、多媒体教室、研讨室、"
        "图书室和阅览室（一厅五室）。</p>"
        "<p>学校通过“大课堂”向11个镇街党校分课堂和村级视频终端直播授课，"
        "与镇街党校、基层教学点共同构成三级党校培训网络。</p>"
    ),
}


class Township(NamedTuple):
    name: str  # 城关镇
    slug: str
    industry: str  # the local industry, for the industrial base and a local course
    heritage: str  # the party-spirit education site
    road: str
    villages: tuple[str, ...]
    communities: tuple[str, ...]

    @property
    def short(self) -> str:
        return self.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")

    @property
    def school_title(self) -> str:
        return f"{self.name}党校"


TOWNSHIPS = (
    Township("城关镇", "chengguan", "商贸物流", "城关革命历史纪念馆", "人民路",
             ("石桥", "河口", "新街", "枣园", "五里铺"), ("人民路", "解放路")),
    Township("东城街道", "dongcheng", "电子信息", "东城革命烈士陵园", "东风路",
             ("杨柳", "东湖", "红旗", "前进", "高家"), ("滨河", "朝阳")),
    Township("西城街道", "xicheng", "装备制造", "西城党史教育馆", "建设路",
             ("西岭", "王家", "胜利", "和平", "梨园"), ("新华", "锦绣")),
    Township("龙泉镇", "longquan", "茶叶", "龙泉红军纪念馆", "龙泉街",
             ("龙潭", "茶园", "竹林", "松树", "清水"), ("龙泉",)),
    Township("桃源镇", "taoyuan", "水果", "桃源新四军旧址", "桃源路",
             ("桃花", "杏花", "李庄", "马头", "三合"), ("桃源",)),
    Township("白沙镇", "baisha", "水产养殖", "白沙抗战纪念馆", "滨江路",
             ("沙坪", "望江", "白马", "渔湾", "河湾"), ("白沙",)),
    Township("青石镇", "qingshi", "石材加工", "青石革命烈士陵园", "青石大道",
             ("石门", "黑石", "方山", "金山", "七星"), ("青石",)),
    Township("柳林镇", "liulin", "蔬菜", "柳林农民运动纪念馆", "柳林街",
             ("柳林", "刘庄", "赵楼", "孙集", "丰收"), ("柳林",)),
    Township("双河镇", "shuanghe", "粮油加工", "双河渡江战役纪念馆", "双河路",
             ("双河", "九龙", "太平", "永安", "团结"), ("双河",)),
    Township("北山乡", "beishan", "中药材", "北山游击队纪念馆", "北山路",
             ("北岭", "天池", "观音", "凤凰", "杜家"), ()),
    Township("南湖镇", "nanhu", "乡村旅游", "南湖红色教育基地", "湖滨路",
             ("南湖", "月亮湾", "长乐", "幸福", "光明"), ("南湖",)),
)  # fmt: skip

TOWNSHIP_DESCRIPTION = (
    "<p>{school}由{town}党委书记兼任校长，做到有组织、有场地、有师资、有计划、有制度、有经费（六有）。</p>"
    "<p>学校依托本地{industry}产业和{heritage}等基层教学点，按照“5+1+N”模式开展党员培训。</p>"
)
TOWNSHIP_HEADS = ("张建国", "李卫东", "王志刚", "刘春梅", "陈海峰", "杨国庆", "赵红霞", "黄立新",
                  "周永强", "吴晓燕", "徐振华")  # fmt: skip

# Teaching points per township (3–5, about 50 in the county) and their texts per category.
POINT_COUNTS = (5, 4, 3, 5, 4, 4, 5, 3, 4, 5, 4)
POINT_TEXTS = {
    "party_spirit": (
        "{heritage}",
        "",
        "馆内陈列革命文物和历史图片，讲述本地革命先辈的英勇事迹，是开展党性教育、重温入党誓词的现场教学点。",
    ),
    "featured_village": (
        "{village}村乡村振兴示范点",
        "",
        "村党支部带领群众发展特色产业、整治人居环境，村集体经济稳步增长，是学习基层治理经验的特色村。",
    ),
    "industrial_base": (
        "{short}{industry}产业园",
        "清源{industry}专业合作社",
        "园区采用“党支部+合作社+农户”模式，带动周边群众就业增收，是现场学习党建引领产业发展的教学点。",
    ),
    "practical_skills": (
        "{short}农民实用技术培训中心",
        "市农业农村局",
        "配备实训教室和示范基地，开展种养殖技术、农机操作、电商直播等实用技能培训。",
    ),
    "warning_education": (
        "{short}{warning}",
        "{warning_host}",
        "通过典型案例和实物展陈开展警示教育，引导党员干部增强纪律意识和法治观念。",
    ),
}
WARNING_SITES = (("廉政教育基地", "市纪委监委"), ("禁毒教育基地", "市公安局"), ("法治教育基地", "市司法局"))

# Branches: the township's villages and communities, one or two departments, one enterprise.
DEPARTMENT_BRANCHES = ("机关", "卫生院", "中心学校")
ENTERPRISE_BRANCH = "清源{industry}企业联合党支部"


class Course(NamedTuple):
    title: str
    summary: str
    goal: str
    content: str


COURSES = {
    "general": (
        Course("学习贯彻党章", "系统学习《中国共产党章程》，牢记党员的义务和权利。",
               "帮助党员熟悉党章的基本内容，增强党章意识。",
               "党的性质和宗旨、党员的条件和义务、党的组织制度和纪律。"),
        Course("中国共产党历史", "回顾党的百年奋斗重大成就和历史经验。",
               "学史明理、学史增信、学史崇德、学史力行。",
               "新民主主义革命时期、社会主义革命和建设时期、改革开放和新时代的重要历史事件。"),
        Course("新时代党的创新理论", "学习习近平新时代中国特色社会主义思想的核心要义。",
               "用党的创新理论武装头脑、指导实践、推动工作。",
               "十个明确、十四个坚持、十三个方面成就的主要内容和实践要求。"),
        Course("社会主义核心价值观", "把社会主义核心价值观融入日常生活和工作。",
               "引导党员在践行核心价值观中发挥先锋模范作用。",
               "国家、社会、个人三个层面的价值要求及身边的践行案例。"),
        Course("党员权利与义务", "讲清党员的八项义务和八项权利。",
               "增强党员的身份意识和组织观念。",
               "党员义务、党员权利、组织生活制度和党费缴纳。"),
        Course("中华优秀传统文化", "从传统文化中汲取治国理政和修身立德的智慧。",
               "增强文化自信，涵养家国情怀。",
               "传统美德、家风家训、地方历史文化和非物质文化遗产。"),
    ),
    "professional": (
        Course("农村基层党组织建设实务", "讲解村党组织规范化建设的具体做法。",
               "提升支部书记和村“两委”成员抓党建的能力。",
               "“三会一课”、主题党日、发展党员、村级重大事项“四议两公开”。"),
        Course("乡村振兴与产业发展", "围绕产业振兴讲政策、讲案例、讲路径。",
               "帮助村干部找准本村产业发展方向。",
               "特色产业培育、品牌建设、联农带农机制和典型案例分析。"),
        Course("农村集体经济发展与管理", "讲解壮大村级集体经济的路径和财务管理规范。",
               "规范集体资产管理，拓宽集体增收渠道。",
               "集体产权制度改革、资产资源盘活、村级财务公开。"),
        Course("基层社会治理与矛盾纠纷化解", "学习“枫桥经验”和网格化治理方法。",
               "提高化解基层矛盾纠纷的能力。",
               "网格化管理、人民调解、信访工作和平安村居建设。"),
        Course("农村电子商务实务", "手把手教授网店运营和直播带货。",
               "帮助党员带头用好电商平台、拓宽农产品销路。",
               "平台选择、商品拍摄、直播技巧、物流与售后。"),
        Course("农业实用技术", "邀请农技专家讲授种养殖实用技术。",
               "让党员成为科学种养的带头人。",
               "良种良法、病虫害绿色防控、农机安全使用。"),
    ),
    "thematic": (
        Course("全面从严治党与廉洁自律", "以案说纪、以案说法，筑牢拒腐防变防线。",
               "增强党员干部的纪律规矩意识。",
               "中央八项规定精神、党纪处分条例、身边典型案例剖析。"),
        Course("安全生产与应急管理", "讲解安全生产责任和突发事件应对。",
               "提升基层应急处置能力。",
               "安全生产法要点、防汛防火、应急预案和演练。"),
        Course("生态文明建设与环境保护", "践行“绿水青山就是金山银山”理念。",
               "推动人居环境整治和绿色发展。",
               "生态保护红线、河湖长制、垃圾分类和农村污水治理。"),
        Course("法治乡村建设", "学习与农村生产生活密切相关的法律法规。",
               "提高党员尊法学法守法用法的意识。",
               "民法典、土地管理、村民自治和法律援助。"),
        Course("禁毒与平安建设", "普及禁毒知识，建设平安村居。",
               "让党员成为禁毒宣传的骨干。",
               "毒品危害、新型毒品识别、禁毒宣传和社区戒毒康复。"),
        Course("学习党的二十大精神", "深入学习党的二十大报告的主要内容。",
               "把会议精神落实到基层工作中。",
               "中国式现代化、高质量发展、全面推进乡村振兴的部署要求。"),
    ),
}  # fmt: skip
LOCAL_COURSE = Course(
    "{short}{industry}产业发展实践",
    "结合本地{industry}产业，到产业基地现场学习党建引领产业发展的做法。",
    "学习身边的产业发展经验，找准本村发展路子。",
    "{industry}产业发展历程、合作社运营、党员示范户经验分享和现场教学。",
)
COURSE_REQUIREMENT = "按时签到、认真听讲，课后完成教学评估问卷；因故缺课的党员通过视频回放补学。"
COURSE_HOURS = ("2.0", "3.0", "4.0", "2.5")
CATALOGUE_INTRO = "<p>{school}课程目录，分为通识教育、专业教育和专题教育三个模块。</p>"

# The teacher pool: 149 leading cadres, 69 experts and professors, 45 exemplars around us.
TEACHER_COUNTS = {"leading_cadre": 149, "expert": 69, "exemplar": 45}
# Each post with the subjects its holders teach (one to three are drawn).
TEACHER_POSTS = {
    "leading_cadre": (
        ("市委组织部副部长", ("党的建设", "基层组织建设", "党员教育管理")),
        ("市委宣传部副部长", ("宣传思想工作", "意识形态工作", "党史学习教育")),
        ("市纪委监委常委", ("党风廉政建设", "纪律教育", "中央八项规定精神")),
        ("市委政法委副书记", ("基层社会治理", "平安建设", "矛盾纠纷化解")),
        ("市农业农村局局长", ("乡村振兴", "农业产业发展", "农村改革")),
        ("市司法局局长", ("法治建设", "民法典", "人民调解")),
        ("市应急管理局副局长", ("安全生产", "应急管理", "防灾减灾")),
        ("市生态环境局局长", ("生态文明", "环境保护", "农村人居环境整治")),
        ("市退役军人事务局局长", ("国防教育", "退役军人服务")),
        ("市委党校常务副校长", ("新时代党的创新理论", "党的建设", "党史学习教育")),
        ("{town}党委书记", ("基层组织建设", "乡村振兴", "基层社会治理")),
        ("{town}党委副书记", ("基层社会治理", "农村集体经济", "乡村振兴")),
        ("{town}组织委员", ("党员发展", "“三会一课”", "党员教育管理")),
        ("{town}宣传委员", ("宣传思想工作", "移风易俗", "文明实践")),
        ("{town}纪委书记", ("党风廉政建设", "村务监督", "纪律教育")),
    ),
    "expert": (
        ("市委党校教授", ("马克思主义理论", "新时代党的创新理论", "中共党史")),
        ("市委党校副教授", ("党章党规", "中共党史", "公共管理")),
        ("市委党校讲师", ("党章党规", "社会主义核心价值观", "中华优秀传统文化")),
        ("省委党校教授", ("新时代党的创新理论", "党的建设", "经济管理")),
        ("省农业科学院研究员", ("农业技术", "良种推广", "病虫害防治")),
        ("清源师范学院马克思主义学院教授", ("马克思主义理论", "中共党史", "思想政治教育")),
        ("清源农业职业技术学院副教授", ("农业技术", "农村电子商务", "农产品品牌")),
        ("市农业技术推广中心高级农艺师", ("农业技术", "茶叶种植", "果树栽培")),
        ("市人民医院主任医师", ("卫生健康", "常见病预防", "急救知识")),
        ("清源律师事务所律师", ("法律法规", "民法典", "合同纠纷")),
        ("市林业局高级工程师", ("林业技术", "森林防火", "生态保护")),
        ("市疾控中心副主任医师", ("卫生健康", "传染病防控", "心理健康")),
    ),
    "exemplar": (
        ("{village}村党支部书记", ("村级治理经验", "集体经济发展", "带富经验")),
        ("全国劳动模范", ("劳模精神", "创业故事")),
        ("省级优秀共产党员", ("先锋模范作用", "红色故事宣讲")),
        ("返乡创业青年", ("创业故事", "农村电子商务")),
        ("种粮大户", ("粮食生产", "农机应用", "产业致富经验")),
        ("退役军人创业代表", ("退役军人创业", "国防教育")),
        ("乡村医生", ("卫生健康", "志愿服务")),
        ("驻{village}村第一书记", ("驻村帮扶", "村级治理经验", "乡村振兴")),
        ("非遗传承人", ("非物质文化遗产", "传统手工艺")),
        ("家庭农场主", ("家庭农场经营", "产业致富经验")),
        ("{industry}专业合作社理事长", ("合作社经营", "联农带农", "产业致富经验")),
        ("市级道德模范", ("家风家教", "移风易俗", "志愿服务")),
    ),
}
TEACHER_SINCE = {"leading_cadre": (2016, 2024), "expert": (2015, 2024), "exemplar": (2018, 2024)}

# Names: common surnames first (drawn more often) and characters for given names.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕彬鹏辉建国志春梅海英秀德文宁"
    "东林云峰斌波亮鑫雪琳丹倩晨欣宇浩然晓光荣福成立新利民庆祥瑞凤莲菊嘉俊秋月兴旺"
)

# The fixed demo logins (password "demo") and their Chinese names.
LOGIN_NAMES = {
    "orgdept": "周卫东",
    "cityschool": "陈晓静",
    "township1": "刘海洋",
    "member1": "王秀英",
    "migrant1": "赵志刚",
    "terminal1": "一村教学点大屏",
}

# --- Training classes and annual plans -----------------------------------------------------------


class ClassTheme(NamedTuple):
    title: str  # what follows "2026年第3期" in a class title
    audience: tuple[str, ...]  # member categories; empty: every member
    modules: tuple[str, ...]  # course modules, for the annual plan
    months: tuple[int, ...]  # when schools usually hold it; empty: any month
    audience_text: str  # the audience in words, for the annual plan


TOWNSHIP_CLASS_THEMES = (
    ClassTheme("党员冬训班", (), ("general", "thematic"), (11, 12, 1, 2), "全体党员"),
    ClassTheme("流动党员返乡集中培训班", (), ("general", "professional"), (1, 2), "流动党员和在家党员"),
    ClassTheme("党员春训班", (), ("general", "professional"), (3, 4), "全体党员"),
    ClassTheme("“七一”党员集中轮训班", (), ("general", "thematic"), (6, 7), "全体党员"),
    ClassTheme("农村党员实用技术培训班", (), ("professional",), (3, 4, 5, 8, 9), "农村党员"),
    ClassTheme("党纪学习教育专题培训班", (), ("thematic", "general"), (), "全体党员"),
    ClassTheme("新时代党的创新理论学习培训班", (), ("general",), (), "全体党员"),
    ClassTheme("法治乡村建设专题培训班", (), ("thematic",), (5, 8, 10, 12), "全体党员"),
    ClassTheme("村“两委”干部乡村振兴专题培训班", ("village_cadre", "branch_secretary"),
               ("professional", "thematic"), (), "村“两委”成员和党支部书记"),
    ClassTheme("基层党组织书记履职能力提升培训班", ("branch_secretary",), ("professional", "general"), (),
               "党支部书记"),
)  # fmt: skip
CITY_CLASS_THEMES = (
    ClassTheme("全市基层党组织书记示范培训班", ("branch_secretary",), ("professional", "general"), (),
               "全市党支部书记"),
    ClassTheme("全市党员教育“大课堂”专题直播班", (), ("general", "thematic"), (),
               "各镇街分课堂和村级终端的党员"),
    ClassTheme("全市村“两委”干部能力提升示范班", ("village_cadre", "branch_secretary"), ("professional",), (),
               "全市村“两委”成员"),
)  # fmt: skip
CLASS_TITLE = "{year}年第{number}期{theme}"
TOWNSHIP_ROOMS = ("报告厅", "多功能教室", "党员活动室", "远程教育室")
CITY_ROOMS = ("报告厅", "标准教室", "多媒体教室", "研讨室")
LECTURE_TITLES = (
    "专题党课：牢记初心使命，争做合格党员",
    "专题党课：以高质量党建引领乡村全面振兴",
    "专题党课：学习党章、遵守党章、维护党章",
    "专题党课：加强作风建设，密切联系群众",
    "专题党课：在基层一线发挥党员先锋模范作用",
    "专题党课：增强纪律意识，严守纪律规矩",
)
SITE_VISIT_TITLE = "现场教学：{point}"
# Electives that are no catalogue course: (title, teacher categories to book from).
ELECTIVE_TOPICS = (
    ("身边榜样分享：带领乡亲共同致富的故事", ("exemplar",)),
    ("观看警示教育片并分组讨论", ("leading_cadre",)),
    ("红色故事宣讲", ("exemplar", "expert")),
    ("应急救护知识培训", ("expert",)),
    ("农村电商直播带货实操", ("exemplar", "expert")),
    ("分组研讨：党员如何在本职岗位上发挥作用", ("expert", "leading_cadre")),
)
# Who teaches a catalogue course of each module.
MODULE_TEACHERS = {
    "general": ("expert",),
    "professional": ("expert", "exemplar"),
    "thematic": ("leading_cadre", "expert"),
}
# The drafts that break 5+1+N, for the organization department's compliance view.
BROKEN_TITLES = {
    "no_teaching_point": "集中观看专题教育片（原定现场教学）",
    "no_teacher": "专题党课（授课领导待定）",
    "site_visit_without_point": "现场教学（教学点待定）",
}
CANCEL_REASONS = (
    "镇党委中心工作任务集中，经研究决定取消本期培训，顺延至下季度举办。",
    "授课领导因公务安排无法到场，本期培训取消，另行通知。",
    "与全市重点工作时间冲突，本期培训取消，培训内容并入下一期培训班。",
)
CLASS_DESCRIPTION = (
    "本期培训班面向{audience}，按照“5+1+N”模式组织：集中开展签到、奏唱国歌、重温入党誓词、"
    "集体学习党章和领导讲课等规定动作，赴{point}开展现场教学，并安排{electives}等自选动作。"
)
CITY_DESCRIPTION_SUFFIX = "领导讲课和自选动作通过“大课堂”向各镇街分课堂和村级视频终端同步直播。"
PLAN_NOTES = (
    "{school}{year}年度教学计划：按照“5+1+N”模式，全年计划举办{count}期培训班，"
    "确保每名党员每年参加集中培训不少于1天、村“两委”成员不少于2天。"
)
