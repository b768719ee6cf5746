"""SafeQuiz: safety-knowledge contests for 安全生产月.

One package per journey, each holding its blueprint (routes, forms, templates) and its rules
(plain functions): ``contests`` (organiser's contest pages and the phone's quiz), ``live``,
``league``, ``reports``, ``bank``, ``units``, ``training``, ``auth``, ``dashboard`` (the
工作台 after login), and ``demo`` (first start and demo data). The core beside them imports no domain: ``models``, ``extensions``, ``config``,
``clock``, ``errors``, ``web`` (rendering, permissions, htmx helpers), ``phone`` (who this phone
is), ``forms``, ``limits``, ``prepared``, ``signing``, ``serving``, ``results_cache``,
``sqlite_writes``. ``app.py`` at the top creates the app and registers the blueprints; ``cli``
holds the ``flask`` commands.
"""
