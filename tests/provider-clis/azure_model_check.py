#!/usr/bin/env python3
"""Checks Azure Managed Redis request bodies against the service model of PyPI
azure-mgmt-redisenterprise (the SDK generated from Azure's REST specification): every
property must exist on DatabaseUpdate (or Persistence), every enum value must be one the
model lists. Usage: azure_model_check.py BODY_JSON...; exits 1 naming the first mismatch."""
import json
import sys

from azure.mgmt.redisenterprise import models

ENUMS = {
    "clusteringPolicy": models.ClusteringPolicy,
    "evictionPolicy": models.EvictionPolicy,
    "accessKeysAuthentication": models.AccessKeysAuthentication,
    "aofFrequency": models.AofFrequency,
    "rdbFrequency": models.RdbFrequency,
}


def keys(model, prefix=""):
    return {
        spec["key"][len(prefix):]: spec["type"]
        for spec in model._attribute_map.values()
        if spec["key"].startswith(prefix)
    }


def check(name, value, kind):
    if name in ENUMS and value not in {e.value for e in ENUMS[name]}:
        sys.exit(f"{name}: {value!r} is not one of {[e.value for e in ENUMS[name]]}")
    if kind == "bool" and not isinstance(value, bool):
        sys.exit(f"{name}: {value!r} is not a boolean")


def main():
    update = keys(models.DatabaseUpdate, "properties.")
    persistence = keys(models.Persistence)
    for arg in sys.argv[1:]:
        body = json.loads(arg)
        extra = set(body) - {"properties"}
        if extra:
            sys.exit(f"unknown top-level keys {sorted(extra)}")
        for name, value in body["properties"].items():
            if name not in update:
                sys.exit(f"properties.{name} is not in DatabaseUpdate")
            if name == "persistence":
                for pname, pvalue in value.items():
                    if pname not in persistence:
                        sys.exit(f"persistence.{pname} is not in Persistence")
                    check(pname, pvalue, persistence[pname])
            else:
                check(name, value, update[name])
    print("ok")


if __name__ == "__main__":
    main()
