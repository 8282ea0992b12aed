# New-lead alerts (sent by the outbox) and "Take it". HTML allowed; arguments are escaped.
lead-group-heading = { $count ->
    [one] <b>One new lead</b>
   *[other] <b>{ $count } new leads</b>
}
lead-btn-open = Open
lead-btn-take = ✋ Take it
lead-yours = It's yours.
lead-taken-by = Already taken by { $name }.
lead-taken = Already taken.
# What a lead proposes to a known contact (Apply / Ignore on its alert).
lead-btn-apply = ✅ Apply
lead-btn-ignore = Ignore
proposal-applied = ✅ Proposal applied to #{ $id } by { $name }.
proposal-ignored = Proposal for #{ $id } ignored by { $name }.
proposal-settled = This proposal was already applied or ignored.
