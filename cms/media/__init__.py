"""Uploaded images: processing (:mod:`.processing`), tables (:mod:`.models`), where the bytes live
(:mod:`.storage`, :mod:`.s3`) and their public URLs (:mod:`.urls`).

Kept free of imports: the public read path imports :mod:`.urls` and :mod:`.s3`, which must not
pull in SQLAlchemy or Pillow by importing their package.
"""
