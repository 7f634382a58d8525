"""Build-time hooks of the documentation site (mkdocs.yml's ``hooks:``); not part of the package."""
