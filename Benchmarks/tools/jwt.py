#!/usr/bin/env python3
"""Prints a GP Connect audit JWT (alg none) for the given audience and scope."""
import base64, json, sys, time

def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()

audience, scope = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "organization/*.read")
now = int(time.time())
claims = {
    "iss": "https://benchmark.thirdparty.nhs.uk/", "sub": "1", "aud": audience, "exp": now + 300, "iat": now,
    "reason_for_request": "directcare", "requested_scope": scope,
    "requesting_device": {"resourceType": "Device", "identifier": [{"system": "https://bench/Id/device", "value": "bench"}],
                          "model": "wrk", "version": "4"},
    "requesting_organization": {"resourceType": "Organization", "name": "Benchmark 111",
                                "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RYE"}]},
    "requesting_practitioner": {"resourceType": "Practitioner", "id": "1", "name": [{"family": "Bench", "given": ["Mark"]}],
                                "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444"},
                                               {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "444555666777"}]},
}
print(b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims) + ".")
