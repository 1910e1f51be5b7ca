"""委托代办 between people and a hall worker's 帮办: a citizen authorises another person for
chosen items and a time window, or confirms a hall worker by an SMS code; both act through the
"acting as" mechanism (identity's mandates, docs/acting-as.md). This domain keeps the consent
log and the pending confirmations, and tells the principal of every step."""
