"""dpi_server"""
