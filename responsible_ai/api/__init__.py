"""The HTTP API of ``rai serve``: a thin FastAPI layer over the review store (``app.py``)."""
