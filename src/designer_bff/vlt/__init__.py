"""The visual descriptor (VLT): a design image -> a VLT record -> a garment spec.

One interface (`base.ImageAnalyzer`), one module per implementation: `local` (the
embedded analyzer, no network) and `remote` (the Visual Descriptor API)."""
