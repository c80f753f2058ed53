// Placeholder so the library has a source until the area's real files land; delete then.
