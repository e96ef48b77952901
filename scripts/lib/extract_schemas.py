"""Extracts the OpenAPI fragments dynostatsd's tests validate against (scripts/fetch-specs.sh).

Usage: extract_schemas.py V1_OPENAPI.yaml V1_COMMIT V2_OPENAPI.yaml V2_COMMIT > series-schemas.json
Copies, verbatim (YAML -> JSON), the named components and paths of Datadog's OpenAPI specs into the
layout test/e2e/fake_intake.py reads: {"source", "notes", "v1": {...}, "v2": {...}}. A name missing
upstream is an error: the pinned commit no longer matches what the tests expect.
"""
import json
import sys

import yaml

WANTED = {
    "v1": {
        "schemas": ["APIErrorResponse", "AuthenticationValidationResponse", "DistributionPoint",
                    "DistributionPointData", "DistributionPointTimestamp", "DistributionPointsContentEncoding",
                    "DistributionPointsPayload", "DistributionPointsSeries", "DistributionPointsType", "Event",
                    "EventAlertType", "EventCreateRequest", "EventCreateResponse", "EventPriority",
                    "IntakePayloadAccepted", "MetricContentEncoding", "MetricsPayload", "Point", "Series",
                    "ServiceCheck", "ServiceCheckStatus", "ServiceChecks"],
        "responses": ["TooManyRequestsResponse"],
        "securitySchemes": ["apiKeyAuth"],
        "paths": {"/api/v1/series": ["post"], "/api/v1/check_run": ["post"], "/api/v1/validate": ["get"],
                  "/api/v1/distribution_points": ["post"], "/api/v1/events": ["post"]},
        "servers": True,
    },
    "v2": {
        "schemas": ["APIErrorResponse", "IntakePayloadAccepted", "MetricContentEncoding", "MetricIntakeType",
                    "MetricMetadata", "MetricOrigin", "MetricPayload", "MetricPoint", "MetricResource",
                    "MetricSeries"],
        "responses": ["TooManyRequestsResponse"],
        "paths": {"/api/v2/series": ["post"]},
    },
}


def pick(mapping, names, where):
    missing = [n for n in names if n not in mapping]
    if missing:
        sys.exit("extract_schemas: %s lacks %s" % (where, ", ".join(missing)))
    return {n: mapping[n] for n in names}


def extract(doc, wanted, version):
    components = doc.get("components", {})
    out = {}
    if wanted.get("servers"):
        out["servers"] = doc["servers"]
    if "securitySchemes" in wanted:
        out["securitySchemes"] = pick(components.get("securitySchemes", {}), wanted["securitySchemes"],
                                      version + " components.securitySchemes")
    out["responses"] = pick(components.get("responses", {}), wanted["responses"], version + " components.responses")
    out["paths"] = {}
    for path, methods in wanted["paths"].items():
        out["paths"][path] = pick(doc.get("paths", {}).get(path, {}), methods, version + " paths." + path)
    out["schemas"] = pick(components.get("schemas", {}), wanted["schemas"], version + " components.schemas")
    return out


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    result = {
        "source": {
            "description": "JSON-schema (OpenAPI 3.0) fragments copied verbatim (YAML converted to JSON) from "
                           "Datadog's public OpenAPI specs by scripts/fetch-specs.sh.",
            "repo": "DataDog/datadog-api-client-python",
            "v1": {"path": ".generator/schemas/v1/openapi.yaml", "commit": argv[2]},
            "v2": {"path": ".generator/schemas/v2/openapi.yaml", "commit": argv[4]},
        },
        "notes": ["$ref values keep their original form '#/components/schemas/<Name>'; resolve them against the "
                  "'schemas' object of the same version (v1 or v2) in this file."],
    }
    for version, path in (("v1", argv[1]), ("v2", argv[3])):
        with open(path, encoding="utf-8") as handle:
            result[version] = extract(yaml.safe_load(handle), WANTED[version], version)
    json.dump(result, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
