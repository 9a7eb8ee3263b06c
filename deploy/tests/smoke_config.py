#!/usr/bin/env python3
"""Writes the deployment smoke tests' config: a production config with its two feed accounts
pushing to the local WeChat API (the `wechat` service / container) instead of api.weixin.qq.com.

    python3 deploy/tests/smoke_config.py IN.yaml OUT.yaml [--bootstrap HOST:PORT,...]

IN is deploy/config/syndication.yaml (compose) or the ConfigMap's file (Kubernetes). Only
feed.api_base_url, the accounts' app_id and cover_image (and, with --bootstrap,
kafka.bootstrap_servers) change; everything else is the production file.
"""
import argparse

import yaml

APPS = {"zh-Hans": "wxsmokehans0000001", "zh-Hant": "wxsmokehant0000001"}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--bootstrap")
    p.add_argument("--wechat", default="http://wechat:8780")
    a = p.parse_args()
    with open(a.source, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg["feed"]["api_base_url"] = a.wechat
    for account in cfg["feed"]["accounts"]:
        account["app_id"] = APPS[account["language"]]
        account["cover_image"] = "/etc/syndicate/cover.jpg"
    if a.bootstrap:
        cfg["kafka"]["bootstrap_servers"] = a.bootstrap
    with open(a.out, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, allow_unicode=True, sort_keys=False)


if __name__ == "__main__":
    main()
