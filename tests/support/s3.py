#!/usr/bin/env python3
"""A second S3 client for the tests, acting with the bastion's own keys (from the
environment: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).

  s3.py mkbucket BUCKET DAYS        a bucket with Object Lock, default COMPLIANCE retention
  s3.py keys BUCKET PREFIX          every key under PREFIX with its version count, as JSON
  s3.py get BUCKET KEY              the newest version's bytes to stdout
  s3.py cat BUCKET PREFIX           the newest versions of all keys under PREFIX, in key
                                    order, to stdout
  s3.py attack BUCKET KEY           try to overwrite, delete, and delete every version of
                                    KEY with a governance bypass; print each outcome as JSON
"""
import datetime
import json
import os
import sys

import boto3
import botocore

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT"],
    region_name="us-east-1",
    config=botocore.config.Config(retries={"max_attempts": 1}),
)


def outcome(fn):
    try:
        fn()
        return "accepted"
    except botocore.exceptions.ClientError as e:
        return "refused: %s %s" % (e.response["Error"]["Code"], e.response["Error"].get("Message", ""))


def main(argv):
    cmd, bucket = argv[1], argv[2]
    if cmd == "mkbucket":
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": int(argv[3])}},
            },
        )
    elif cmd == "keys":
        out = {}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=argv[3]):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                out[v["Key"]] = out.get(v["Key"], 0) + 1
        print(json.dumps(out))
    elif cmd == "get":
        sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=argv[3])["Body"].read())
    elif cmd == "cat":
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=argv[3]):
            for o in page.get("Contents", []):
                sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
    elif cmd == "attack":
        key = argv[3]
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        first = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"][-1]["VersionId"]
        result = {
            "retention": s3.head_object(Bucket=bucket, Key=key, VersionId=first).get("ObjectLockMode"),
            "overwrite_create_only": outcome(
                lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"forged\n", IfNoneMatch="*")
            ),
            "shorten_retention": outcome(
                lambda: s3.put_object_retention(
                    Bucket=bucket, Key=key, VersionId=first,
                    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon},
                    BypassGovernanceRetention=True,
                )
            ),
            "delete_version_bypass": outcome(
                lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=first, BypassGovernanceRetention=True)
            ),
        }
        result["first_version_body"] = s3.get_object(Bucket=bucket, Key=key, VersionId=first)["Body"].read().decode()
        print(json.dumps(result))
    else:
        sys.exit("unknown command " + cmd)


main(sys.argv)
