"""moto server with wl-infra's fidelity extensions: fixes where moto answers unlike AWS.

Each extension is small, documented in localstack/README.md, and only changes how moto answers,
never what wl-infra does. Run as: python wl_moto.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.s3.responses import S3Response


def get_bucket_versioning(self):
    """AWS answers <VersioningConfiguration/> (with <Status> once versioning was ever set);
    moto 5.2 names the root element GetBucketVersioningResponse, which SDKs cannot parse."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning


from moto.rds.models import RDSBackend  # noqa: E402

_modify_db_subnet_group = RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    """AWS changes the group in place; moto 5.2 removes it from its registry while modifying
    and never puts it back, so the group (and its tags) vanishes."""
    group = _modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


RDSBackend.modify_db_subnet_group = modify_db_subnet_group

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
