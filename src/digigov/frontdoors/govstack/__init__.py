"""GovStack-compatible APIs (docs/govstack.md): adapters that speak the GovStack building-block contracts over
DigiGov's own blocks, so integrations written for GovStack work unchanged."""
