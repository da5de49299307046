"""Pure domain logic: pydantic models and functions with no I/O, Qt or HTTP."""
