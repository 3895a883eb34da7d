-- wrk script: every request starts a session of one flow.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"flow":"' .. (os.getenv("BENCH_FLOW") or "deposit-missing-memo") .. '"}'
