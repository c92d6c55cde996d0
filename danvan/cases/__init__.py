"""Cases: every citizen's concern tracked to an answer.

access_* (scope + fetch) → check_* (validate) → do_* (write, timeline event, audit, notices).
The logic, one module per part of a case's life: `access` (scope, lists, timeline), `intake`
(opening a case), `routing` (routing rules, assignment, transfer, merge), `lifecycle` (status,
notes, replies, reopening), `events` (timeline events and notices to citizens, which every
change writes), `tracking` (the citizen's public page and rating link), `units` (units, rules
and canned replies), `similarity`, `reports` and `privacy` (Decree 13 export and erasure).
"""
