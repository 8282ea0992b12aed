"""Tests of the production files in deploy/: the systemd unit and the nginx site."""
