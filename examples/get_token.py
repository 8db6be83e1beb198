"""Get an access token and list the facilities it opens (behaviour.md §2).

python examples/get_token.py
"""

from __future__ import annotations

import _common

import dpi


def main() -> None:
    with dpi.Client.from_credentials_file(_common.credentials()) as client:
        token = client.get_access_token()
        print(f"token valid for {token.expires_in} s (type {token.token_type})")
        for facility in client.facilities.list():
            print(f"facility {facility.id}: {facility.name}")
        # Calls fetch and renew tokens by themselves; the explicit call above is optional.
        print("rate limit after the last call:", client.rate_limit)


if __name__ == "__main__":
    main()
