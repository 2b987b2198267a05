#!/usr/bin/python3
"""Validates a CycloneDX JSON BOM against the official schema of its specVersion.

usage: validate_cyclonedx.py SCHEMA_DIR BOM.json

SCHEMA_DIR is res/schema of the npm package @cyclonedx/cyclonedx-library, which holds the CycloneDX project's
own schema files (bom-1.6.SNAPSHOT.schema.json and the spdx and jsf schemas it refers to); scripts/install-deps
puts it under .deps/. Prints each violation with its path in the document and exits 1 if there is any.
"""
import json
import pathlib
import sys

import jsonschema


def main() -> int:
    schema_dir, bom_path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    bom = json.loads(bom_path.read_text())
    schema = json.loads((schema_dir / f"bom-{bom['specVersion']}.SNAPSHOT.schema.json").read_text())
    # The BOM schema refers to these two by names relative to its own $id.
    base = schema["$id"].rsplit("/", 1)[0] + "/"
    store = {base + name: json.loads((schema_dir / name).read_text())
             for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")}
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft7Validator(schema, resolver=resolver,
                                           format_checker=jsonschema.draft7_format_checker)
    errors = sorted(validator.iter_errors(bom), key=lambda e: list(e.absolute_path))
    for error in errors:
        print("/".join(str(p) for p in error.absolute_path) or "(document)", ":", error.message)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
