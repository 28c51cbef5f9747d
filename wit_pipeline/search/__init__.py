"""Search an embedding directory (``wit embed``'s output) with a text or an image query.

>>> from wit_pipeline.search.exact import top_k
>>> from wit_pipeline.search.query import search_index
>>> hits = search_index("runs/tiny", "emb/", text="a red bicycle", k=10)
"""
