"""Demo data: a fictional county network (清源市) for `manage.py demo`.

`content` holds the Chinese names and texts, `pages` builds the school tree and catalogues,
`people` the teacher pool, branches, members and demo logins, and `seed` ties them together.
"""
