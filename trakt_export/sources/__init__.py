"""Where Trakt data comes from: the `Source` protocol (base), the API source with paging,
de-duplication and snapshot checks (api, snapshot), and Trakt's export ZIP (ziparchive,
zipsocial)."""
