"""The Models workspace: registry document, table model, filters, editors and dialogs."""
