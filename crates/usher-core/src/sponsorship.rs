//! The sponsorship policy: which users may register accounts for others,
//! into which groups, under which quota.

use crate::quota::Quota;

/// Facts about the would-be sponsor that the policy reads.
#[derive(Debug, Clone)]
pub struct SponsorFacts {
    pub is_admin: bool,
    /// The account has not been activated by its owner yet.
    pub is_pending: bool,
    /// A sponsorship grant from a server admin, with its quota.
    pub grant: Option<Quota>,
}

/// The sponsor's standing in one requested group.
#[derive(Debug, Clone)]
pub struct GroupStanding {
    /// The group as the request named it, for messages.
    pub name: String,
    pub sponsor_joined: bool,
    pub sponsor_power: i64,
    /// The power level the room requires to invite.
    pub invite_level: i64,
}

/// The role that lets the sponsor act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SponsorRole {
    Admin,
    Granted,
    GroupAdmin,
}

/// The reason a sponsor may not act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    Pending,
    NotASponsor,
    GroupNotAllowed { group: String },
}

/// The sponsorship policy, configured by the operator.
#[derive(Debug, Clone)]
pub struct SponsorshipPolicy {
    /// Power level in a room at or above which a member is its group admin.
    pub group_admin_level: i64,
    /// Quota of group admins without a grant.
    pub group_admin_quota: Quota,
    /// Whether group admins without a grant may sponsor at all. Any user
    /// who creates a room is its admin, so turning this off leaves
    /// sponsorship to server admins and the users they granted it to.
    pub group_admins_may_sponsor: bool,
}

impl SponsorshipPolicy {
    /// Decides whether the sponsor may register an account into all the
    /// given groups, and under which quota.
    ///
    /// - Server admins register into any group, without quota.
    /// - Users with a grant register within their grant's quota, into groups
    ///   they administer or where they could invite anyway.
    /// - Other users register only into groups they administer (at least one),
    ///   under the group admins' default quota.
    /// - A pending account never sponsors.
    pub fn authorize(&self, sponsor: &SponsorFacts, groups: &[GroupStanding]) -> Result<(SponsorRole, Quota), Denial> {
        if sponsor.is_pending {
            return Err(Denial::Pending);
        }
        if sponsor.is_admin {
            return Ok((SponsorRole::Admin, Quota::UNLIMITED));
        }

        let administers = |g: &GroupStanding| g.sponsor_joined && g.sponsor_power >= self.group_admin_level;
        if let Some(grant) = sponsor.grant {
            let may_add = |g: &GroupStanding| administers(g) || (g.sponsor_joined && g.sponsor_power >= g.invite_level);
            if let Some(denied) = groups.iter().find(|g| !may_add(g)) {
                return Err(Denial::GroupNotAllowed { group: denied.name.clone() });
            }
            return Ok((SponsorRole::Granted, grant));
        }

        if groups.is_empty() || !self.group_admins_may_sponsor {
            return Err(Denial::NotASponsor);
        }
        if let Some(denied) = groups.iter().find(|g| !administers(g)) {
            return Err(Denial::GroupNotAllowed { group: denied.name.clone() });
        }
        Ok((SponsorRole::GroupAdmin, self.group_admin_quota))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SponsorshipPolicy {
        SponsorshipPolicy {
            group_admin_level: 100,
            group_admin_quota: Quota { daily: Some(20), total: Some(200) },
            group_admins_may_sponsor: true,
        }
    }

    fn member(power: i64) -> GroupStanding {
        GroupStanding { name: "!room:localhost".into(), sponsor_joined: true, sponsor_power: power, invite_level: 0 }
    }

    fn plain_user() -> SponsorFacts {
        SponsorFacts { is_admin: false, is_pending: false, grant: None }
    }

    #[test]
    fn admin_unlimited_anywhere() {
        let admin = SponsorFacts { is_admin: true, ..plain_user() };
        let outsider = GroupStanding { sponsor_joined: false, ..member(0) };
        assert_eq!(policy().authorize(&admin, &[outsider]), Ok((SponsorRole::Admin, Quota::UNLIMITED)));
    }

    #[test]
    fn pending_never_sponsors() {
        let pending_admin = SponsorFacts { is_admin: true, is_pending: true, grant: None };
        assert_eq!(policy().authorize(&pending_admin, &[]), Err(Denial::Pending));
    }

    #[test]
    fn group_admin_into_own_group() {
        let result = policy().authorize(&plain_user(), &[member(100)]);
        assert_eq!(result.map(|r| r.0), Ok(SponsorRole::GroupAdmin));
    }

    #[test]
    fn group_admin_not_into_other_group() {
        let result = policy().authorize(&plain_user(), &[member(100), member(50)]);
        assert!(matches!(result, Err(Denial::GroupNotAllowed { .. })));
    }

    #[test]
    fn group_admins_switched_off() {
        let policy = SponsorshipPolicy { group_admins_may_sponsor: false, ..policy() };
        assert_eq!(policy.authorize(&plain_user(), &[member(100)]), Err(Denial::NotASponsor));
        let granted = SponsorFacts { grant: Some(Quota::UNLIMITED), ..plain_user() };
        assert!(policy.authorize(&granted, &[member(100)]).is_ok(), "grants still apply");
    }

    #[test]
    fn group_admin_needs_a_group() {
        assert_eq!(policy().authorize(&plain_user(), &[]), Err(Denial::NotASponsor));
    }

    #[test]
    fn group_admin_left_room() {
        let left = GroupStanding { sponsor_joined: false, ..member(100) };
        assert!(policy().authorize(&plain_user(), &[left]).is_err());
    }

    #[test]
    fn grant_quota_replaces_defaults() {
        let quota = Quota { daily: Some(5), total: None };
        let granted = SponsorFacts { grant: Some(quota), ..plain_user() };
        assert_eq!(policy().authorize(&granted, &[]), Ok((SponsorRole::Granted, quota)));
        assert_eq!(policy().authorize(&granted, &[member(0)]), Ok((SponsorRole::Granted, quota)));
    }

    #[test]
    fn grant_needs_invite_power() {
        let granted = SponsorFacts { grant: Some(Quota::UNLIMITED), ..plain_user() };
        let low = GroupStanding { invite_level: 50, ..member(0) };
        assert!(policy().authorize(&granted, &[low]).is_err());
    }
}
