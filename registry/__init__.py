"""The registry: the domain and its storage (SQLAlchemy 2.0 models, Alembic migrations,
services). Knows nothing of HTTP or the inbox; may use ``ocr`` types.

Services take keyword-only arguments and never commit: the caller owns
``with sessions.begin():`` so a change and its audit row land together.

- ``bootstrap.open_registry(url)``       engine + migrations + declarations from profiles
- ``db``                                 ``make_engine``, ``make_sessionmaker``, ``upgrade``
- ``queue``                              record / claim / complete / fail submissions
- ``review``                             approve / reject / reopen
- ``follow_up``                          ``due_for_follow_up``, ``follow_ups``, ``mark_followed_up``
- ``listing``, ``signatories``           read side: submissions, proposals, public list
- ``importer.import_list``               a published list as imported signatories
- ``lexicon.verified_lexicon``           ``{orgnr: name}`` for ``ocr`` extraction
- ``reviewers``                          accounts (argon2)
- ``schemas``                            in/out shapes (``SignatoryPublic`` never leaks signers)
- ``errors``                             the error tree
"""
