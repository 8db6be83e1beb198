"""`python -m dpi_server.cli`."""

from dpi_server.cli.main import main

main()
