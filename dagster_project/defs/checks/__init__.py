"""Asset checks written in Python: Great Expectations suites over raw tables."""
