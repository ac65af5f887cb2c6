# Only what differs from Django's zh_Hans formats: Chinese writes "1月4日", not Django's "01月4日".
MONTH_DAY_FORMAT = "n月j日"
