import FleetModel

extension BackendAsset {
    /// `assets` as they may enter the fleet. An href that ``AssetLink`` refuses (a scheme other than
    /// `http`, `https` or `data`, a relative path, control characters) never reaches an event, the
    /// database, STAC or a download: the asset is replaced by a note with the role
    /// ``AssetLink/rejectedRole`` whose title and inert `data:` href say which asset was rejected and why.
    public static func screened(_ assets: [BackendAsset]) -> [BackendAsset] {
        assets.map { asset in
            do throws(AssetLink.Refusal) {
                _ = try AssetLink(href: asset.href)
                return asset
            } catch {
                let note = AssetLink.rejectionNote(name: asset.name, reason: error.reason)
                return BackendAsset(name: asset.name, href: AssetLink.noteHref(note), mediaType: "text/plain",
                                    roles: [AssetLink.rejectedRole], title: note)
            }
        }
    }
}
