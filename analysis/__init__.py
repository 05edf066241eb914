"""hopscope analysis side: contacts, flights, hop and set metrics, flags, plots and reports.

This package works on a plain sample table and never imports bleak.
"""
