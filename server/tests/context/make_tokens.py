"""Context tokens made by PyJWT, a JWT library none of stepwise's code shares, for
`server/tests/context.rs`: one good token and one of each way a token must be refused.

Usage: make_tokens.py SECRET FLOW; prints a JSON object of case name to token.
"""

import json
import sys
import time

import jwt

secret, flow = sys.argv[1], sys.argv[2]
now = int(time.time())
facts = {"kyc": "verified"}
good = {"exp": now + 300, "flow": flow, "facts": facts}


def hs256(claims, key=secret):
    return jwt.encode(claims, key, algorithm="HS256")


valid = hs256(good)
header, payload, signature = valid.split(".")
forged_payload = (
    jwt.utils.base64url_encode(
        json.dumps({"exp": now + 300, "flow": flow, "facts": {"kyc": "pending"}}).encode()
    ).decode()
)

tokens = {
    "valid": valid,
    "valid_any_flow": hs256({"exp": now + 300, "facts": facts}),
    "expired": hs256({**good, "exp": now - 600}),
    "wrong_key": hs256(good, key="another-secret-of-the-same-length-as-ours!"),
    "alg_none": jwt.encode(good, None, algorithm="none"),
    "hs512": jwt.encode(good, secret, algorithm="HS512"),
    "no_exp": hs256({"flow": flow, "facts": facts}),
    "tampered": ".".join([header, forged_payload, signature]),
    "undeclared_value": hs256({**good, "facts": {"kyc": "platinum"}}),
    "undeclared_fact": hs256({**good, "facts": {"tier": "gold"}}),
    "other_flow": hs256({**good, "flow": "another-flow"}),
}
print(json.dumps(tokens))
