"""GitHub as a deploy source (Deployments API or Actions runs) and a change source (the compare API):
the adapter (``adapter``) and the documented payload shapes it reads (``shapes``)."""
