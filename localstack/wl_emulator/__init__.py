"""wl-infra's local AWS emulator: moto server with fidelity extensions and a strict request layer.

Each service module patches moto where it answers unlike AWS and registers the rules AWS enforces
that moto does not (ec2, rds, elasticache, ecs, elbv2, cloudfront, s3, iam, secretsmanager,
cloudwatch, logs); `control` serves the request log, fault injection and the /wl-api/ routes and
puts the emulator's layers in front of moto; `strict` is the strict request layer (the generic
validator over botocore's models and the rule registry); `profiles` holds the pending states and the
time AWS takes to let go. localstack/README.md documents each behaviour.

`install()` checks the moto version first (the patches reach into moto's internals), then applies
every patch. Run the server with `python -m wl_emulator -H 127.0.0.1 -p PORT`.
"""

_installed = False


def install():
    """Checks the moto version, then patches moto; idempotent."""
    global _installed
    if _installed:
        return
    from . import version

    version.check()
    from . import control, profiles

    control.reset_hooks.append(profiles.forget)
    from . import strict  # noqa: F401
    from . import s3, rds, elasticache, ec2, ecs, elbv2, cloudfront  # noqa: F401
    from . import iam, secretsmanager, cloudwatch, logs, servicediscovery, sns, applicationautoscaling, kms  # noqa: F401

    _installed = True
