"""SafeQuiz: safety-knowledge contests for 安全生产月.

The package holds the models, the service modules (plain functions holding the
rules) and one blueprint per kind of user activity. The application factory
lives in the top-level ``app.py``.
"""
