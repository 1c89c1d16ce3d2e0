"""Prefect result storage on S3 (prefect-aws S3Bucket), for flows and task workers on several hosts.

Background tasks (the GPU task worker) pass their parameters and results through Prefect's result
storage: a local folder is enough on one machine, a bucket is needed across hosts. This writes an
S3Bucket block (no secrets in it: boto3 finds credentials in its usual places on each host) and
makes it the default result and task-scheduling storage of the active Prefect profile.
"""

from __future__ import annotations

import os

from config.settings import get_settings
from tasks.infra.storage import split_s3


def configure_s3_results(uri: str, block_name: str = "retouch-results") -> str:
    """Create/overwrite the S3Bucket block for `uri` and point Prefect's defaults at it."""
    from prefect.settings import (
        PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK,
        update_current_profile,
    )
    from prefect_aws import AwsCredentials, S3Bucket
    from prefect_aws.credentials import AwsClientParameters

    bucket, folder = split_s3(uri)
    endpoint = get_settings().s3_endpoint_url or None
    credentials = AwsCredentials(
        aws_client_parameters=AwsClientParameters(endpoint_url=endpoint),
        region_name=os.environ.get("AWS_DEFAULT_REGION"),
    )
    S3Bucket(bucket_name=bucket, bucket_folder=folder.strip("/"), credentials=credentials).save(
        block_name, overwrite=True
    )
    slug = f"s3-bucket/{block_name}"
    update_current_profile(
        {
            PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK: slug,
            PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK: slug,
            PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
        }
    )
    return slug
