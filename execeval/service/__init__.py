"""The verification service: verdicts over HTTP for training loops and anything that is not a file of samples.

    execeval serve --tasks demo                      # 127.0.0.1:8731; --host beyond loopback needs --token

    from execeval.service.client import VerifyClient
    VerifyClient().verify({"task": "demo/0", "completion": "..."})    # [results.jsonl row]

schema.py says what a request holds; engine.py judges it with the main job's own steps (`Verifier`); app.py is
the ASGI app and `serve`; client.py the sync and async clients. Only client.py and schema.py load without the
`service` extra (starlette, uvicorn, prometheus_client).
"""
