"""HTML reports: a session report per recording and squad pages over many sessions.

Every page is one self-contained file: plots are embedded as base64 PNG, styles and the few
lines of script are inline, nothing is fetched from the network.
"""

from analysis.report.session import render_session_report, write_session_report
from analysis.report.verdict import SetVerdict, set_verdicts

__all__ = ["SetVerdict", "render_session_report", "set_verdicts", "write_session_report"]
