"""What the public sees: the read path, the API's routes, previews, resume sync, docs, media.

Kept free of imports: the Lambda read path (:mod:`cms.public.readpath`) lives here and must not
pull in FastAPI or SQLAlchemy by importing its package.
"""
