import FleetModel

extension BackendAsset {
    /// `assets` as they may enter the fleet. An href that ``AssetLink`` refuses (a scheme other than
    /// `http`, `https` or `data`, a relative path, control characters) or that is longer than
    /// ``MessageLimits/href`` never reaches an event, the database, STAC or a download: the asset is
    /// replaced by a note with the role ``AssetLink/rejectedRole`` whose title and inert `data:` href
    /// say which asset was rejected and why. Beyond ``MessageLimits/assets`` entries, the rest is
    /// replaced by one note saying how many were left out, so the event stays within bounds.
    public static func screened(_ assets: [BackendAsset]) -> [BackendAsset] {
        let kept = assets.count > MessageLimits.assets ? Array(assets.prefix(MessageLimits.assets - 1)) : assets
        var screened = kept.map { asset in
            let size = asset.href.utf8.count
            guard size <= MessageLimits.href else {
                return note(name: asset.name, AssetLink.rejectionNote(
                    name: shortName(asset.name), reason: "the href is \(size) bytes, more than the limit of \(MessageLimits.href)"))
            }
            do throws(AssetLink.Refusal) {
                _ = try AssetLink(href: asset.href)
                return asset
            } catch {
                return note(name: asset.name, AssetLink.rejectionNote(name: shortName(asset.name), reason: error.reason))
            }
        }
        if kept.count < assets.count {
            screened.append(note(name: "more-assets",
                                 "\(assets.count - kept.count) more assets left out (an event carries at most \(MessageLimits.assets))"))
        }
        return screened
    }

    /// An asset's name as a note quotes it: short enough that the reason after it stays in the title.
    private static func shortName(_ name: String) -> String {
        MessageLimits.clipped(name, to: 256)
    }

    /// A note asset in place of what could not be kept; its text is clipped to a title's limit.
    private static func note(name: String, _ text: String) -> BackendAsset {
        let note = MessageLimits.clipped(text, to: MessageLimits.title)
        return BackendAsset(name: name, href: AssetLink.noteHref(note), mediaType: "text/plain", roles: [AssetLink.rejectedRole], title: note)
    }
}
