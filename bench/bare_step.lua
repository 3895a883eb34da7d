-- wrk script: every request answers the bare baseline's in-memory step.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"answer":"in","revision":1}'
