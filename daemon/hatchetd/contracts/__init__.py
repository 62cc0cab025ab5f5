"""Pure data contracts shared by the daemon and the client: the workflow file format and its
parser, the API's request and response models, and the enums of runs and workers.

Only pydantic, PyYAML, croniter and the standard library are imported here, so `hatchet_cli` (and a
start-up-sensitive `hatchet workflows validate`) can use these modules without loading the daemon.
"""
