"""What tap-zoho and target-zoho share as Singer plugins, on the zoho_connector core.

Their settings' JSON schema (:mod:`~zoho_plugin.settings`), the checks of a config
(:mod:`~zoho_plugin.checks`), the mixin giving both their clients, progress and summaries
(:mod:`~zoho_plugin.plugin`), and their command line's end on a user's mistake
(:mod:`~zoho_plugin.cli`). The core itself needs no singer-sdk.
"""
