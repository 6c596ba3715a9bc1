"""The ``imputation`` kind: dropout imputation, measured by masking, with harm checks (see engine/schema.md)."""
