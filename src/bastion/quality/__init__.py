"""Decision quality: how often decisions are right, per reviewer, vendor, queue and policy, with numbers
a team can defend (QA sampling, golden sets, agreement and accuracy with intervals, calibration).

- `ratings`: every judgement the report reads, as one relation (`RATINGS_SCHEMA`), loaded from the store.
- `report`: the report's shape (`QualityReport`) and its JSON.
- `engine`: the report computed from a ratings relation, on DuckDB or pandas.
- `sampling` and `qa`: QA plans and blind re-review; `golden`: golden sets; `calibration`: exercises.
"""
