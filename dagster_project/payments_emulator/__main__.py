"""`python -m dagster_project.payments_emulator [--host 127.0.0.1] [--port 12111]`"""

from __future__ import annotations

import argparse
import threading

from dagster_project.payments_emulator.server import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.payments_emulator", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument(
        "--no-auto-customers",
        action="store_true",
        help="unknown customers are 404s (default: they get a payment method that succeeds)",
    )
    args = parser.parse_args()
    emulator = Emulator(args.host, args.port, auto_customers=not args.no_auto_customers).start()
    url = emulator.url
    print(f"payments emulator on {url}", flush=True)
    print(f"  STRIPE_API_BASE={url}  STRIPE_SECRET_KEY=sk_test_emulator", flush=True)
    print(f"  GOCARDLESS_API_BASE={url}  GOCARDLESS_ACCESS_TOKEN=sandbox_emulator", flush=True)
    print(
        f"  ADYEN_CHECKOUT_BASE={url}/v71  ADYEN_API_KEY=emulator  ADYEN_MERCHANT_ACCOUNT=RatebookECOM",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
