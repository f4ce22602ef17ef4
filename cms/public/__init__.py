"""The public read path: routes, HTTP-cache rules, the response cache, the fast path, CORS.

Kept free of imports: the Lambda fast path (:mod:`cms.public.fastpath`) lives here and must not
pull in FastAPI or SQLAlchemy by importing its package.
"""
