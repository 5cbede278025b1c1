#!/usr/bin/env python3
"""Validates FHIR STU3 JSON against the fhir.resources models (pydantic), the validator the
tests use for what Switchboard serves and exports.

    validate_stu3.py FILE...      each FILE a JSON resource (a Bundle included) or NDJSON, one
                                  resource per line

Prints one line per resource that fails, naming the file, the line and the error, then a count.
Exits 0 when every resource is valid, 1 when any is not, 2 when fhir.resources is missing.
"""
import json
import sys

try:
    from fhir.resources.STU3 import get_fhir_model_class
except ImportError:
    print("fhir.resources is not installed: pip install fhir.resources", file=sys.stderr)
    sys.exit(2)


def resources(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".ndjson"):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f"{path}:{number}", json.loads(line)
    else:
        yield path, json.loads(text)


def main(paths):
    checked = failed = 0
    for path in paths:
        for where, resource in resources(path):
            checked += 1
            try:
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            except Exception as error:  # pydantic's ValidationError, or an unknown resourceType
                failed += 1
                print(f"{where}: {resource.get('resourceType')}: {error}".replace("\n", " | ")[:2000])
    print(f"{checked} resources checked, {failed} invalid")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
