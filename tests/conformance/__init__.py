"""Lago conformance: Lago's own test vectors driven through the real `billing run`.

`vectors` loads the copies under tests/fixtures/lago; `convert_units` and
`convert_invoices` turn each case into catalog objects, events and the checks to
run; `datadir` batches cases into as few data directories (one `billing run`
each) as possible; `issues` is the one table that says which cases wait for
which issue (xfail); `warehouse` reads the contract tables back.
"""
