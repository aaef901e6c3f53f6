//! The network API: profiles, connections, follows and blocks, posts and
//! the feed, reactions, comments, notifications, messages and moderation.
//! Every answer holds only what the signed-in member may see; anything
//! hidden from them answers 404 exactly like something that does not
//! exist.

use crate::AppState;
use crate::error::{ApiError, AppError, FieldError, Problem};
use crate::extract::ApiJson;
use crate::session::Ctx;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures::Stream;
use lyceum_core::domain::MemberId;
use lyceum_core::domain::network::{Audience, ReactionKind, Relation};
use lyceum_store::network::{
    self as net, CommentView, ConnectionState, Cursor, Decision, EntryKind, NoticeKind, PostView,
    ProfileSwitches, Reason, ReportTarget, SectionVisibility,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/profile", get(my_profile).put(put_profile))
        .route("/me/profile/privacy", put(put_privacy))
        .route("/me/profile/entries", post(add_entry))
        .route(
            "/me/profile/entries/{id}",
            axum::routing::delete(delete_entry),
        )
        .route("/profiles/{handle}", get(get_profile))
        .route("/profiles/{handle}/posts", get(profile_posts))
        .route("/people", get(find_people))
        .route(
            "/connections/requests",
            get(list_requests).post(request_connection),
        )
        .route("/connections/requests/{id}/accept", post(accept_request))
        .route("/connections/requests/{id}/ignore", post(ignore_request))
        .route(
            "/connections/requests/{id}",
            axum::routing::delete(withdraw_request),
        )
        .route("/connections", get(list_connections))
        .route("/connections/export", get(export_connections))
        .route(
            "/connections/{handle}",
            axum::routing::delete(remove_connection),
        )
        .route("/connections/suggestions", get(suggestions))
        .route("/follows/{handle}", put(follow).delete(unfollow))
        .route("/blocks/{handle}", put(block).delete(unblock))
        .route(
            "/posts",
            post(create_post).layer(axum::extract::DefaultBodyLimit::max(
                crate::post_images::MAX_POST_REQUEST_BYTES,
            )),
        )
        .route(
            "/posts/{id}",
            get(get_post).patch(edit_post).delete(delete_post),
        )
        .route("/feed", get(feed))
        .route("/tags/{tag}", get(tagged))
        .route(
            "/posts/{id}/reaction",
            put(put_reaction).delete(delete_reaction),
        )
        .route("/posts/{id}/reactions", get(list_reactors))
        .route(
            "/comments/{id}/reaction",
            put(put_reaction).delete(delete_reaction),
        )
        .route("/posts/{id}/comments", post(add_comment))
        .route(
            "/comments/{id}",
            axum::routing::patch(edit_comment).delete(delete_comment),
        )
        .route("/notifications", get(list_notifications))
        .route("/notifications/read", post(read_notifications))
        .route(
            "/notifications/settings",
            get(notice_settings).put(put_notice_settings),
        )
        .route("/notifications/digest", get(get_digest).put(put_digest))
        .route("/live", get(live))
        .route("/messages", get(conversations))
        .route(
            "/messages/{handle}",
            get(conversation)
                .post(send_message)
                .delete(delete_conversation),
        )
        .route("/reports", post(report))
        .route("/moderation/queue", get(queue))
        .route("/moderation/reports/{id}/decision", post(decide))
        .route("/moderation/appeals", get(appeals))
        .route("/moderation/actions/{id}/appeal", post(appeal))
        .route("/moderation/actions/{id}/decision", post(decide_appeal))
        .route("/moderation/log", get(public_log))
        .route("/me/moderation", get(my_moderation))
}

#[derive(OpenApi)]
#[openapi(
    paths(my_profile, put_profile, put_privacy, add_entry, delete_entry, get_profile, profile_posts, find_people,
        list_requests, request_connection, accept_request, ignore_request, withdraw_request, list_connections, export_connections,
        remove_connection, suggestions, follow, unfollow, block, unblock, create_post, get_post, edit_post,
        delete_post, feed, tagged, put_reaction, delete_reaction, list_reactors, add_comment, edit_comment,
        delete_comment, list_notifications, read_notifications, notice_settings, put_notice_settings, get_digest, put_digest, live,
        conversations, conversation, send_message, delete_conversation, report, queue, decide, appeals, appeal,
        decide_appeal, public_log, my_moderation),
    components(schemas(Person, Counts, PostResponse, CommentResponse, PostPageResponse, ProfileResponse,
        EntryResponse, CertificateResponse, MyProfileResponse, ProfileRequest, PrivacyRequest, Visibility,
        Switches, EntryRequest, ConnectRequest, ConnectResponse, PendingResponse, SuggestionResponse,
        PostRequest, PostWithImagesRequest, ImageResponse, EditRequest, ReactionRequest, CommentRequest, NoticeResponse, NoticeSetting, DigestResponse, DigestRequest,
        NoticeSettingsRequest, ConversationResponse, MessageResponse, MessageRequest, ReportRequest,
        ReportResponse, QueueResponse, DecisionRequest, AppealRequest, AppealDecisionRequest, ActionResponse,
        LogResponse, CreatedResponse, ReactorResponse)),
    tags((name = "network", description = "Profiles, connections, posts, reactions, comments, notifications, messages and moderation"))
)]
pub struct NetworkApiDoc;

/// The signed-in member, with their profile made on first use.
pub(crate) async fn member(state: &AppState, ctx: &Ctx) -> Result<MemberId, AppError> {
    let m = ctx.member.as_ref().ok_or_else(|| {
        AppError::Unauthorized(
            "Sign in with a member account: the network is for members. Library card holders can learn without one."
                .into(),
        )
    })?;
    state.store.network().ensure_profile_exists(m.id).await?;
    Ok(m.id)
}

fn viewer(ctx: &Ctx) -> Option<MemberId> {
    ctx.member.as_ref().map(|m| m.id)
}

/// The member with a handle, or 404.
pub(crate) async fn by_handle(state: &AppState, handle: &str) -> Result<MemberId, AppError> {
    state
        .store
        .network()
        .member_by_handle(handle)
        .await?
        .ok_or(AppError::NotFound)
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub(crate) fn parse_cursor(raw: Option<&str>) -> Result<Option<Cursor>, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Cursor::parse(s).map(Some).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "cursor",
                "This cursor is not one Lyceum gave out; start again from the first page.",
            )])
        }),
    }
}

/// A member as others see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    /// Id.
    pub id: Uuid,
    /// Their profile's address: `/people/{handle}`.
    pub handle: String,
    /// Display name.
    pub name: String,
    /// Headline, where its visibility admits the viewer.
    pub headline: Option<String>,
}

impl From<&net::PersonCard> for Person {
    fn from(c: &net::PersonCard) -> Self {
        Self {
            id: c.id,
            handle: c.handle.clone(),
            name: c.name.clone(),
            headline: c.headline.clone(),
        }
    }
}

/// Reactions by kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct Counts {
    /// Likes.
    pub like: u32,
    /// Celebrates.
    pub celebrate: u32,
    /// Loves.
    pub love: u32,
    /// Insightfuls.
    pub insightful: u32,
    /// Curiouses.
    pub curious: u32,
    /// All of them.
    pub total: u32,
}

impl From<[u32; 5]> for Counts {
    fn from(c: [u32; 5]) -> Self {
        Self {
            like: c[0],
            celebrate: c[1],
            love: c[2],
            insightful: c[3],
            curious: c[4],
            total: c.iter().sum(),
        }
    }
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    /// Id.
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// The comment this replies to.
    pub parent_id: Option<Uuid>,
    /// The author.
    pub author: Person,
    /// The text.
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if edited.
    pub edited_at: Option<String>,
    /// Reactions.
    pub reactions: Counts,
    /// The viewer's reaction.
    pub my_reaction: Option<String>,
    /// Replies counted.
    pub reply_count: u32,
    /// Replies (on a post's own endpoint).
    #[schema(no_recursion)]
    pub replies: Vec<CommentResponse>,
    /// Its writer's account was erased after others replied: an empty
    /// place (no author, no words) that keeps the replies.
    pub erased: bool,
}

impl From<&CommentView> for CommentResponse {
    fn from(c: &CommentView) -> Self {
        Self {
            id: c.id,
            post_id: c.post_id,
            parent_id: c.parent_id,
            author: (&c.author).into(),
            body: c.body.clone(),
            created_at: c.created_at.to_rfc3339(),
            edited_at: c.edited_at.map(|d| d.to_rfc3339()),
            reactions: c.reactions.into(),
            my_reaction: c.my_reaction.map(|k| k.key().to_owned()),
            reply_count: c.reply_count,
            replies: c.replies.iter().map(Into::into).collect(),
            erased: c.erased,
        }
    }
}

/// A post.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    /// Id.
    pub id: Uuid,
    /// The author.
    pub author: Person,
    /// `connections`, `members` or `public`.
    pub audience: String,
    /// The text.
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if edited.
    pub edited_at: Option<String>,
    /// Reactions.
    pub reactions: Counts,
    /// Comments and replies.
    pub comment_count: u32,
    /// The viewer's reaction.
    pub my_reaction: Option<String>,
    /// Latest comments (feed) or all comments with replies (one post).
    pub comments: Vec<CommentResponse>,
    /// Removed by a moderator (only the author sees such a post).
    pub removed: bool,
    /// Pictures, in order.
    pub images: Vec<ImageResponse>,
    /// Its writer's account was erased after others commented: an empty
    /// place (no author, no words) that keeps the comments. Only those
    /// its audience still admits read it; "connections" admits those who
    /// commented.
    pub erased: bool,
}

/// A picture in a post. The files are served only to people who may see
/// the post.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageResponse {
    /// Id.
    pub id: Uuid,
    /// What it shows.
    pub alt: String,
    /// Up to 1280 px on the long side.
    pub large_url: String,
    /// Width of the large size.
    pub width: u32,
    /// Height of the large size.
    pub height: u32,
    /// Up to 480 px on the long side.
    pub small_url: String,
    /// Width of the small size.
    pub small_width: u32,
    /// Height of the small size.
    pub small_height: u32,
}

impl From<&PostView> for PostResponse {
    fn from(p: &PostView) -> Self {
        Self {
            id: p.id,
            author: (&p.author).into(),
            audience: p.audience.key().into(),
            body: p.body.clone(),
            created_at: p.created_at.to_rfc3339(),
            edited_at: p.edited_at.map(|d| d.to_rfc3339()),
            reactions: p.reactions.into(),
            comment_count: p.comment_count,
            my_reaction: p.my_reaction.map(|k| k.key().to_owned()),
            comments: p.comments.iter().map(Into::into).collect(),
            removed: p.removed,
            erased: p.erased,
            images: p
                .images
                .iter()
                .map(|i| ImageResponse {
                    id: i.id,
                    alt: i.alt.clone(),
                    large_url: format!("/media/images/{}/large", i.id),
                    width: i.width,
                    height: i.height,
                    small_url: format!("/media/images/{}/small", i.id),
                    small_width: i.small_width,
                    small_height: i.small_height,
                })
                .collect(),
        }
    }
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostPageResponse {
    /// The posts, newest first.
    pub posts: Vec<PostResponse>,
    /// Pass as `cursor` for the next page; absent at the end.
    pub next_cursor: Option<String>,
}

impl From<net::PostPage> for PostPageResponse {
    fn from(p: net::PostPage) -> Self {
        Self {
            posts: p.posts.iter().map(Into::into).collect(),
            next_cursor: p.next,
        }
    }
}

/// A position or a course of study.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryResponse {
    /// Id.
    pub id: Uuid,
    /// Role or qualification.
    pub title: String,
    /// Employer or school.
    pub organisation: String,
    /// What it involved.
    pub description: String,
    /// First year.
    pub start_year: Option<i32>,
    /// Last year; absent while current.
    pub end_year: Option<i32>,
}

impl From<&net::Entry> for EntryResponse {
    fn from(e: &net::Entry) -> Self {
        Self {
            id: e.id,
            title: e.title.clone(),
            organisation: e.organisation.clone(),
            description: e.description.clone(),
            start_year: e.start_year,
            end_year: e.end_year,
        }
    }
}

/// A certificate earned here.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateResponse {
    /// The course.
    pub course_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its short name.
    pub slug: String,
    /// RFC 3339.
    pub completed_at: String,
    /// Shown on the profile.
    pub shown: bool,
}

impl From<&net::ShownCertificate> for CertificateResponse {
    fn from(c: &net::ShownCertificate) -> Self {
        Self {
            course_id: c.course_id,
            title: c.title.clone(),
            slug: c.slug.clone(),
            completed_at: c.completed_at.to_rfc3339(),
            shown: c.shown,
        }
    }
}

/// A profile: each section is absent unless its visibility admits the viewer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    /// Name, handle, headline.
    pub person: Person,
    /// The viewer's relation: `myself`, `connection`, `member` or `public`.
    pub relation: String,
    /// About.
    pub about: Option<String>,
    /// Experience.
    pub experience: Option<Vec<EntryResponse>>,
    /// Education.
    pub education: Option<Vec<EntryResponse>>,
    /// Skills.
    pub skills: Option<Vec<String>>,
    /// Certificates.
    pub certificates: Option<Vec<CertificateResponse>>,
    /// Connections.
    pub connections: Option<Vec<Person>>,
    /// `none`, `connected`, `sent`, `received` or `not_applicable`.
    pub connection: String,
    /// The pending request, when `sent` or `received`.
    pub request_id: Option<Uuid>,
    /// The viewer follows this member.
    pub following: bool,
}

impl From<&net::ProfileView> for ProfileResponse {
    fn from(p: &net::ProfileView) -> Self {
        let (connection, request_id) = match p.connection {
            ConnectionState::NotApplicable => ("not_applicable", None),
            ConnectionState::None => ("none", None),
            ConnectionState::Connected => ("connected", None),
            ConnectionState::Sent(id) => ("sent", Some(id)),
            ConnectionState::Received(id) => ("received", Some(id)),
        };
        Self {
            person: (&p.card).into(),
            relation: p.relation.key().into(),
            about: p.about.clone(),
            experience: p
                .experience
                .as_ref()
                .map(|v| v.iter().map(Into::into).collect()),
            education: p
                .education
                .as_ref()
                .map(|v| v.iter().map(Into::into).collect()),
            skills: p.skills.clone(),
            certificates: p
                .certificates
                .as_ref()
                .map(|v| v.iter().map(Into::into).collect()),
            connections: p
                .connections
                .as_ref()
                .map(|v| v.iter().map(Into::into).collect()),
            connection: connection.into(),
            request_id,
            following: p.following,
        }
    }
}

/// Who sees each section: `only_me`, `connections`, `members` or `public`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    /// Headline.
    #[schema(value_type = String)]
    pub headline: Audience,
    /// About.
    #[schema(value_type = String)]
    pub about: Audience,
    /// Experience.
    #[schema(value_type = String)]
    pub experience: Audience,
    /// Education.
    #[schema(value_type = String)]
    pub education: Audience,
    /// Skills.
    #[schema(value_type = String)]
    pub skills: Audience,
    /// Certificates.
    #[schema(value_type = String)]
    pub certificates: Audience,
    /// The connections list.
    #[schema(value_type = String)]
    pub connections: Audience,
}

/// What else is allowed; everything starts off.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Switches {
    /// A page for people who are not signed in.
    pub public_page: bool,
    /// Search engines may index it (needs `public_page`).
    pub indexable: bool,
    /// Suggested to members who share connections.
    pub discoverable: bool,
    /// Members who are not connections may send one message request.
    pub message_requests: bool,
    /// Connections' exports may include your email address.
    pub email_download: bool,
}

/// The member's own profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyProfileResponse {
    /// Name, handle, headline.
    pub person: Person,
    /// Headline.
    pub headline: String,
    /// About.
    pub about: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Experience.
    pub experience: Vec<EntryResponse>,
    /// Education.
    pub education: Vec<EntryResponse>,
    /// Every course finished here.
    pub certificates: Vec<CertificateResponse>,
    /// Who sees what.
    pub visibility: Visibility,
    /// What else is allowed.
    pub switches: Switches,
}

/// Changes to the profile's text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// One line.
    #[serde(default)]
    pub headline: String,
    /// A few paragraphs.
    #[serde(default)]
    pub about: String,
    /// Skills.
    #[serde(default)]
    pub skills: Vec<String>,
    /// A new handle.
    #[serde(default)]
    pub handle: Option<String>,
    /// Courses whose certificate to show (every other is hidden).
    #[serde(default)]
    pub shown_certificates: Option<Vec<Uuid>>,
}

/// Visibility and switches.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyRequest {
    /// Who sees each section.
    pub visibility: Visibility,
    /// What else is allowed.
    pub switches: Switches,
}

/// A new position or course of study.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// `experience` or `education`.
    #[schema(value_type = String)]
    pub kind: EntryKind,
    /// Role or qualification.
    pub title: String,
    /// Employer or school.
    pub organisation: String,
    /// What it involved.
    #[serde(default)]
    pub description: String,
    /// First year.
    #[serde(default)]
    pub start_year: Option<i32>,
    /// Last year.
    #[serde(default)]
    pub end_year: Option<i32>,
}

/// Something created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedResponse {
    /// Its id.
    pub id: Uuid,
}

fn my_profile_response(p: net::MyProfile) -> MyProfileResponse {
    let v = p.visibility;
    let s = p.switches;
    MyProfileResponse {
        person: (&p.card).into(),
        headline: p.headline,
        about: p.about,
        skills: p.skills,
        experience: p.experience.iter().map(Into::into).collect(),
        education: p.education.iter().map(Into::into).collect(),
        certificates: p.certificates.iter().map(Into::into).collect(),
        visibility: Visibility {
            headline: v.headline,
            about: v.about,
            experience: v.experience,
            education: v.education,
            skills: v.skills,
            certificates: v.certificates,
            connections: v.connections,
        },
        switches: Switches {
            public_page: s.public_page,
            indexable: s.indexable,
            discoverable: s.discoverable,
            message_requests: s.message_requests,
            email_download: s.email_download,
        },
    }
}

#[utoipa::path(get, path = "/me/profile", tag = "network",
    responses((status = 200, description = "The member's own profile, everything included", body = MyProfileResponse),
        (status = 401, description = "Not signed in as a member", body = Problem, content_type = "application/problem+json")))]
async fn my_profile(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<MyProfileResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    let p = state.store.network().my_profile(me).await?;
    Ok(Json(my_profile_response(p)))
}

#[utoipa::path(put, path = "/me/profile", tag = "network", request_body = ProfileRequest,
    responses((status = 200, description = "Saved", body = MyProfileResponse),
        (status = 422, description = "A field breaks a rule (length, handle taken or malformed)", body = Problem, content_type = "application/problem+json")))]
async fn put_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ProfileRequest>,
) -> Result<Json<MyProfileResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    let net = state.store.network();
    if let Some(h) = &body.handle {
        net.set_handle(me, h).await.map_err(AppError::from)?;
    }
    net.update_intro(me, &body.headline, &body.about, &body.skills.join("\n"))
        .await
        .map_err(AppError::from)?;
    if let Some(shown) = &body.shown_certificates {
        let current = net.my_profile(me).await?;
        for c in &current.certificates {
            net.show_certificate(me, c.course_id, shown.contains(&c.course_id))
                .await
                .map_err(AppError::from)?;
        }
        if let Some(bad) = shown
            .iter()
            .find(|id| !current.certificates.iter().any(|c| c.course_id == **id))
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "shown_certificates",
                format!("{bad} is not a course you finished here."),
            )])
            .into());
        }
    }
    Ok(Json(my_profile_response(net.my_profile(me).await?)))
}

#[utoipa::path(put, path = "/me/profile/privacy", tag = "network", request_body = PrivacyRequest,
    responses((status = 200, description = "Saved", body = MyProfileResponse),
        (status = 422, description = "An unknown level", body = Problem, content_type = "application/problem+json")))]
async fn put_privacy(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<PrivacyRequest>,
) -> Result<Json<MyProfileResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    let v = body.visibility;
    let s = body.switches;
    state
        .store
        .network()
        .set_privacy(
            me,
            SectionVisibility {
                headline: v.headline,
                about: v.about,
                experience: v.experience,
                education: v.education,
                skills: v.skills,
                certificates: v.certificates,
                connections: v.connections,
            },
            ProfileSwitches {
                public_page: s.public_page,
                indexable: s.indexable,
                discoverable: s.discoverable,
                message_requests: s.message_requests,
                email_download: s.email_download,
            },
        )
        .await?;
    Ok(Json(my_profile_response(
        state.store.network().my_profile(me).await?,
    )))
}

#[utoipa::path(post, path = "/me/profile/entries", tag = "network", request_body = EntryRequest,
    responses((status = 201, description = "Added", body = CreatedResponse),
        (status = 422, description = "Missing title or organisation, or impossible years", body = Problem, content_type = "application/problem+json")))]
async fn add_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<EntryRequest>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let id = state
        .store
        .network()
        .add_entry(
            me,
            b.kind,
            &b.title,
            &b.organisation,
            &b.description,
            b.start_year,
            b.end_year,
        )
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(CreatedResponse { id })))
}

#[utoipa::path(delete, path = "/me/profile/entries/{id}", tag = "network",
    params(("id" = Uuid, Path, description = "The entry")),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not one of yours", body = Problem, content_type = "application/problem+json")))]
async fn delete_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    if state
        .store
        .network()
        .delete_entry(me, parse_id(&id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}

#[utoipa::path(get, path = "/profiles/{handle}", tag = "network",
    params(("handle" = String, Path, description = "The member's handle")),
    responses((status = 200, description = "What the viewer may see", body = ProfileResponse),
        (status = 404, description = "No such member, or nothing the viewer may see", body = Problem, content_type = "application/problem+json")))]
async fn get_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let owner = by_handle(&state, &handle).await?;
    let view = state
        .store
        .network()
        .profile(viewer(&ctx), owner)
        .await
        .map_err(AppError::from)?;
    Ok(Json((&view).into()))
}

#[derive(Debug, Deserialize)]
struct CursorParams {
    #[serde(default)]
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/profiles/{handle}/posts", tag = "network",
    params(("handle" = String, Path, description = "The member's handle"), ("cursor" = Option<String>, Query, description = "From `next_cursor`")),
    responses((status = 200, description = "Their posts the viewer may see, newest first", body = PostPageResponse)))]
async fn profile_posts(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    Query(p): Query<CursorParams>,
) -> Result<Json<PostPageResponse>, ApiError> {
    let owner = by_handle(&state, &handle).await?;
    let net = state.store.network();
    // Someone who may not see the profile learns nothing of its posts either.
    net.profile(viewer(&ctx), owner)
        .await
        .map_err(AppError::from)?;
    let page = net
        .posts_by(viewer(&ctx), owner, parse_cursor(p.cursor.as_deref())?, 20)
        .await?;
    Ok(Json(page.into()))
}

#[derive(Debug, Deserialize)]
struct PeopleParams {
    #[serde(default)]
    q: String,
}

#[utoipa::path(get, path = "/people", tag = "network",
    params(("q" = String, Query, description = "A handle, or the start of one (matches only members who chose to be discoverable)")),
    responses((status = 200, description = "Matching members", body = [Person])))]
async fn find_people(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<PeopleParams>,
) -> Result<Json<Vec<Person>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let found = state.store.network().find_people(me, &p.q, 20).await?;
    Ok(Json(found.iter().map(Into::into).collect()))
}

/// A pending request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingResponse {
    /// Id.
    pub id: Uuid,
    /// The other person.
    pub person: Person,
    /// The sender's note.
    pub note: String,
    /// RFC 3339.
    pub sent_at: String,
}

#[derive(Debug, Deserialize)]
struct RequestsParams {
    #[serde(default)]
    sent: bool,
}

#[utoipa::path(get, path = "/connections/requests", tag = "network",
    params(("sent" = Option<bool>, Query, description = "true: the requests you sent; otherwise those sent to you")),
    responses((status = 200, description = "Pending requests, newest first", body = [PendingResponse])))]
async fn list_requests(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<RequestsParams>,
) -> Result<Json<Vec<PendingResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().pending_requests(me, p.sent).await?;
    Ok(Json(
        list.iter()
            .map(|r| PendingResponse {
                id: r.id,
                person: (&r.person).into(),
                note: r.note.clone(),
                sent_at: r.sent_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Asking to connect.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// Whom.
    pub handle: String,
    /// An optional note (up to 300 characters).
    #[serde(default)]
    pub note: String,
}

/// What asking did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectResponse {
    /// `sent`, or `connected` when they had already asked you.
    pub outcome: String,
    /// The request, when sent.
    pub request_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/connections/requests", tag = "network", request_body = ConnectRequest,
    responses((status = 201, description = "Sent, or connected at once", body = ConnectResponse),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Yourself, already connected, or already asked", body = Problem, content_type = "application/problem+json")))]
async fn request_connection(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<ConnectRequest>,
) -> Result<(StatusCode, Json<ConnectResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let to = by_handle(&state, &b.handle).await?;
    let outcome = state
        .store
        .network()
        .request_connection(me, to, &b.note)
        .await
        .map_err(AppError::from)?;
    let (outcome, request_id) = match outcome {
        net::RequestOutcome::Sent(id) => ("sent", Some(id)),
        net::RequestOutcome::Connected => ("connected", None),
    };
    Ok((
        StatusCode::CREATED,
        Json(ConnectResponse {
            outcome: outcome.into(),
            request_id,
        }),
    ))
}

#[utoipa::path(post, path = "/connections/requests/{id}/accept", tag = "network",
    params(("id" = Uuid, Path, description = "A request sent to you")),
    responses((status = 204, description = "Connected"), (status = 404, description = "No such request to you", body = Problem, content_type = "application/problem+json")))]
async fn accept_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .accept_request(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/connections/requests/{id}/ignore", tag = "network",
    params(("id" = Uuid, Path, description = "A request sent to you")),
    responses((status = 204, description = "Ignored; the sender is not told"), (status = 404, description = "No such request to you", body = Problem, content_type = "application/problem+json")))]
async fn ignore_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .ignore_request(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/connections/requests/{id}", tag = "network",
    params(("id" = Uuid, Path, description = "A request you sent")),
    responses((status = 204, description = "Withdrawn"), (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json")))]
async fn withdraw_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .withdraw_request(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/connections", tag = "network",
    responses((status = 200, description = "Your connections, by name", body = [Person])))]
async fn list_connections(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<Person>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state
        .store
        .network()
        .connection_cards(Some(me), me, 10_000)
        .await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}

/// Your connections as CSV: name, handle, profile link, headline (where
/// connections may see it), email address (only for connections who allow
/// it; empty otherwise) and the date you connected.
#[utoipa::path(get, path = "/connections/export", tag = "network",
    responses((status = 200, description = "The CSV", content_type = "text/csv")))]
async fn export_connections(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let me = member(&state, &ctx).await?;
    Ok(crate::export::connections_response(&state, me, &headers).await?)
}

#[utoipa::path(delete, path = "/connections/{handle}", tag = "network",
    params(("handle" = String, Path, description = "A connection")),
    responses((status = 204, description = "No longer connected"), (status = 404, description = "Not a connection", body = Problem, content_type = "application/problem+json")))]
async fn remove_connection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    state
        .store
        .network()
        .remove_connection(me, other)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionResponse {
    /// Who.
    pub person: Person,
    /// Connections you share.
    pub mutual_connections: u32,
}

#[utoipa::path(get, path = "/connections/suggestions", tag = "network",
    responses((status = 200, description = "Members who share connections with you and chose to be suggested", body = [SuggestionResponse])))]
async fn suggestions(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<SuggestionResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().suggestions(me, 20).await?;
    Ok(Json(
        list.iter()
            .map(|s| SuggestionResponse {
                person: (&s.person).into(),
                mutual_connections: s.mutual,
            })
            .collect(),
    ))
}

#[utoipa::path(put, path = "/follows/{handle}", tag = "network",
    params(("handle" = String, Path, description = "Whom to follow")),
    responses((status = 204, description = "Following"), (status = 409, description = "Yourself", body = Problem, content_type = "application/problem+json")))]
async fn follow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    state
        .store
        .network()
        .follow(me, other)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/follows/{handle}", tag = "network",
    params(("handle" = String, Path, description = "Whom to stop following")),
    responses((status = 204, description = "Not following")))]
async fn unfollow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    state
        .store
        .network()
        .unfollow(me, other)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/blocks/{handle}", tag = "network",
    params(("handle" = String, Path, description = "Whom to block")),
    responses((status = 204, description = "Blocked: connection, requests and follows between you end")))]
async fn block(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    state
        .store
        .network()
        .block(me, other)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/blocks/{handle}", tag = "network",
    params(("handle" = String, Path, description = "Whom to unblock")),
    responses((status = 204, description = "Unblocked")))]
async fn unblock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    state.store.network().unblock(me, other).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostRequest {
    /// The text (up to 3,000 characters); `#tags` and `@handles` are recognised.
    pub body: String,
    /// `connections` (the default), `members` or `public`.
    #[serde(default = "default_audience")]
    pub audience: String,
}

fn default_audience() -> String {
    Audience::Connections.key().into()
}

pub(crate) fn parse_audience(raw: &str) -> Result<Audience, AppError> {
    Audience::from_key(raw)
        .filter(|a| Audience::FOR_POSTS.contains(a))
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "audience",
                "Choose who may see the post: connections, members or public.",
            )])
        })
}

/// A new post with pictures, as `multipart/form-data`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PostWithImagesRequest {
    /// The text.
    body: String,
    /// `connections` (the default), `members` or `public`.
    audience: Option<String>,
    /// Up to four pictures (JPEG, PNG, GIF or WebP, 10 MB each); each is
    /// re-encoded without its metadata, in two sizes.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    image: Vec<Vec<u8>>,
    /// One description per picture, in the same order (required).
    image_alt: Vec<String>,
}

/// Posts as JSON (text only) or as `multipart/form-data` with `body`,
/// `audience` and up to four `image` files, each followed by its
/// `image_alt`.
#[utoipa::path(post, path = "/posts", tag = "network",
    request_body(content(
        (PostRequest = "application/json"),
        (PostWithImagesRequest = "multipart/form-data"),
    )),
    responses((status = 201, description = "Posted and in your audience's feeds", body = PostResponse),
        (status = 413, description = "A request over 40 MB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, over 3,000 characters, an unknown audience, a file that is not a picture, a picture over 10 MB, or a picture without a description", body = Problem, content_type = "application/problem+json")))]
async fn create_post(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<(StatusCode, Json<PostResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let (body, audience, images) = if crate::post_images::is_multipart(&req) {
        let multipart = axum::extract::Multipart::from_request(req, &state)
            .await
            .map_err(|_| AppError::BadRequest("The multipart body could not be read.".into()))?;
        let input = crate::post_images::PostInput::read(multipart).await?;
        let audience = if input.audience.is_empty() {
            default_audience()
        } else {
            input.audience
        };
        (input.body, audience, input.images)
    } else {
        let ApiJson(b) = ApiJson::<PostRequest>::from_request(req, &state).await?;
        (b.body, b.audience, Vec::new())
    };
    let audience = parse_audience(&audience)?;
    let images = crate::post_images::prepare(images).await?;
    let net = state.store.network();
    let id = net
        .create_post(me, &body, audience, images)
        .await
        .map_err(AppError::from)?;
    let view = net.post(Some(me), id).await.map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json((&view).into())))
}

#[utoipa::path(get, path = "/posts/{id}", tag = "network",
    params(("id" = Uuid, Path, description = "The post")),
    responses((status = 200, description = "The post with every comment and reply", body = PostResponse),
        (status = 404, description = "No such post, or not for the viewer", body = Problem, content_type = "application/problem+json")))]
async fn get_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<PostResponse>, ApiError> {
    let view = state
        .store
        .network()
        .post(viewer(&ctx), parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(Json((&view).into()))
}

/// New text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The text.
    pub body: String,
}

#[utoipa::path(patch, path = "/posts/{id}", tag = "network", request_body = EditRequest,
    params(("id" = Uuid, Path, description = "Your post")),
    responses((status = 200, description = "Edited", body = PostResponse), (status = 404, description = "Not your post", body = Problem, content_type = "application/problem+json")))]
async fn edit_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EditRequest>,
) -> Result<Json<PostResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    let id = parse_id(&id)?;
    let net = state.store.network();
    net.edit_post(me, id, &b.body)
        .await
        .map_err(AppError::from)?;
    let view = net.post(Some(me), id).await.map_err(AppError::from)?;
    Ok(Json((&view).into()))
}

#[utoipa::path(delete, path = "/posts/{id}", tag = "network",
    params(("id" = Uuid, Path, description = "Your post")),
    responses((status = 204, description = "Deleted with its comments and reactions"), (status = 404, description = "Not your post", body = Problem, content_type = "application/problem+json")))]
async fn delete_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .delete_post(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/feed", tag = "network",
    params(("cursor" = Option<String>, Query, description = "From `next_cursor`")),
    responses((status = 200, description = "Posts from you, your connections and members you follow, newest first, 20 a page", body = PostPageResponse),
        (status = 422, description = "A cursor Lyceum did not give out", body = Problem, content_type = "application/problem+json")))]
async fn feed(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<CursorParams>,
) -> Result<Json<PostPageResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    let page = state
        .store
        .network()
        .feed(me, parse_cursor(p.cursor.as_deref())?, 20)
        .await?;
    Ok(Json(page.into()))
}

#[utoipa::path(get, path = "/tags/{tag}", tag = "network",
    params(("tag" = String, Path, description = "A hashtag, without `#`"), ("cursor" = Option<String>, Query, description = "From `next_cursor`")),
    responses((status = 200, description = "Posts with the tag that the viewer may see", body = PostPageResponse)))]
async fn tagged(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(tag): Path<String>,
    Query(p): Query<CursorParams>,
) -> Result<Json<PostPageResponse>, ApiError> {
    let tag = lyceum_core::domain::network::parse_tag(&tag).ok_or(AppError::NotFound)?;
    let page = state
        .store
        .network()
        .tagged(viewer(&ctx), &tag, parse_cursor(p.cursor.as_deref())?, 20)
        .await?;
    Ok(Json(page.into()))
}

/// A reaction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionRequest {
    /// `like`, `celebrate`, `love`, `insightful` or `curious`.
    pub kind: String,
}

#[utoipa::path(put, path = "/posts/{id}/reaction", tag = "network", request_body = ReactionRequest,
    params(("id" = Uuid, Path, description = "A post (the same works on `/comments/{id}/reaction`)")),
    responses((status = 204, description = "Your reaction is set (adding or changing it)"),
        (status = 404, description = "No such post, or not for you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown kind", body = Problem, content_type = "application/problem+json")))]
async fn put_reaction(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReactionRequest>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let kind = ReactionKind::from_key(&b.kind).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "kind",
            "A reaction is one of like, celebrate, love, insightful or curious.",
        )])
    })?;
    state
        .store
        .network()
        .react(me, parse_id(&id)?, kind)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/posts/{id}/reaction", tag = "network",
    params(("id" = Uuid, Path, description = "A post (the same works on `/comments/{id}/reaction`)")),
    responses((status = 204, description = "Removed"), (status = 404, description = "No reaction of yours there", body = Problem, content_type = "application/problem+json")))]
async fn delete_reaction(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    if state
        .store
        .network()
        .unreact(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}

/// Who reacted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReactorResponse {
    /// Who.
    pub person: Person,
    /// How.
    pub kind: String,
}

#[utoipa::path(get, path = "/posts/{id}/reactions", tag = "network",
    params(("id" = Uuid, Path, description = "Your post or comment")),
    responses((status = 200, description = "Who reacted, newest first", body = [ReactorResponse]),
        (status = 403, description = "Only the author sees who reacted", body = Problem, content_type = "application/problem+json")))]
async fn list_reactors(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReactorResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state
        .store
        .network()
        .reactors(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        list.iter()
            .map(|r| ReactorResponse {
                person: (&r.person).into(),
                kind: r.kind.key().into(),
            })
            .collect(),
    ))
}

/// A comment or reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// The text (up to 1,250 characters).
    pub body: String,
    /// The top-level comment this replies to.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/posts/{id}/comments", tag = "network", request_body = CommentRequest,
    params(("id" = Uuid, Path, description = "The post")),
    responses((status = 201, description = "Commented", body = CreatedResponse),
        (status = 404, description = "No such post, or not for you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, too long, or a reply to a reply", body = Problem, content_type = "application/problem+json")))]
async fn add_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommentRequest>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let id = state
        .store
        .network()
        .add_comment(me, parse_id(&id)?, b.parent_id, &b.body)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(CreatedResponse { id })))
}

#[utoipa::path(patch, path = "/comments/{id}", tag = "network", request_body = EditRequest,
    params(("id" = Uuid, Path, description = "Your comment")),
    responses((status = 204, description = "Edited"), (status = 404, description = "Not your comment", body = Problem, content_type = "application/problem+json")))]
async fn edit_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EditRequest>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .edit_comment(me, parse_id(&id)?, &b.body)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/comments/{id}", tag = "network",
    params(("id" = Uuid, Path, description = "Your comment, or one on your post")),
    responses((status = 204, description = "Deleted with its replies"), (status = 404, description = "Not yours to delete", body = Problem, content_type = "application/problem+json")))]
async fn delete_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .delete_comment(me, parse_id(&id)?)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeResponse {
    /// Id.
    pub id: Uuid,
    /// What happened.
    pub kind: String,
    /// Who did it.
    pub actor: Option<Person>,
    /// The post concerned.
    pub post_id: Option<Uuid>,
    /// The comment concerned.
    pub comment_id: Option<Uuid>,
    /// The course concerned (`new_course`): its short name.
    pub course: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Seen already.
    pub read: bool,
}

#[utoipa::path(get, path = "/notifications", tag = "network",
    responses((status = 200, description = "Your notifications, newest first (kept 90 days)", body = [NoticeResponse])))]
async fn list_notifications(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<NoticeResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().notices(me, 100).await?;
    Ok(Json(
        list.iter()
            .map(|n| NoticeResponse {
                id: n.id,
                kind: n.kind.key().into(),
                actor: n.actor.as_ref().map(Into::into),
                post_id: n.post_id,
                comment_id: n.comment_id,
                course: n.course.as_ref().map(|c| c.slug.clone()),
                created_at: n.created_at.to_rfc3339(),
                read: n.read,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/notifications/read", tag = "network",
    responses((status = 204, description = "Every notification marked seen")))]
async fn read_notifications(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state.store.network().mark_notices_read(me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One kind of notification and whether it is on.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeSetting {
    /// The kind.
    pub kind: String,
    /// What it is.
    pub label: String,
    /// Shown in the app.
    pub enabled: bool,
    /// Whether it may be turned off (moderation decisions may not).
    pub can_turn_off: bool,
}

/// The kinds to keep on; every other kind is turned off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettingsRequest {
    /// Kinds to keep on.
    pub enabled: Vec<String>,
}

#[utoipa::path(get, path = "/notifications/settings", tag = "network",
    responses((status = 200, description = "Each kind and whether it is on", body = [NoticeSetting])))]
async fn notice_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<NoticeSetting>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().notice_settings(me).await?;
    Ok(Json(
        list.into_iter()
            .map(|(k, on)| NoticeSetting {
                kind: k.key().into(),
                label: k.label().into(),
                enabled: on,
                can_turn_off: k.can_turn_off(),
            })
            .collect(),
    ))
}

#[utoipa::path(put, path = "/notifications/settings", tag = "network", request_body = NoticeSettingsRequest,
    responses((status = 204, description = "Saved"), (status = 422, description = "An unknown kind", body = Problem, content_type = "application/problem+json")))]
async fn put_notice_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NoticeSettingsRequest>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let mut on = Vec::new();
    for k in &b.enabled {
        on.push(NoticeKind::from_key(k).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "enabled",
                format!("“{k}” is not a kind of notification."),
            )])
        })?);
    }
    state.store.network().set_notice_settings(me, &on).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The email digest: how often, and whether it can go out at all.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestResponse {
    /// `daily` or `weekly` (the default).
    pub frequency: String,
    /// Whether you turned on the "Email digests" choice (and have not
    /// paused processing). Without it no digest is ever sent.
    pub consented: bool,
    /// Whether this instance sends email at all.
    pub sends_mail: bool,
}

/// How often to send the digest.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestRequest {
    /// `daily` or `weekly`.
    pub frequency: String,
}

#[utoipa::path(get, path = "/notifications/digest", tag = "network",
    responses((status = 200, description = "The digest settings", body = DigestResponse)))]
async fn get_digest(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<DigestResponse>, ApiError> {
    let me = member(&state, &ctx).await?;
    Ok(Json(DigestResponse {
        frequency: state.store.digest_frequency(me).await?.key().into(),
        consented: state
            .store
            .consents()
            .has(
                me.into(),
                lyceum_core::domain::consent::Purpose::EmailDigests,
            )
            .await?,
        sends_mail: state.sends_mail,
    }))
}

#[utoipa::path(put, path = "/notifications/digest", tag = "network", request_body = DigestRequest,
    responses((status = 204, description = "Saved (a digest is still sent only with the consent)"),
        (status = 422, description = "Neither daily nor weekly", body = Problem, content_type = "application/problem+json")))]
async fn put_digest(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<DigestRequest>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let f = lyceum_store::digests::Frequency::from_key(&b.frequency).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "frequency",
            "Choose daily or weekly.",
        )])
    })?;
    state.store.set_digest_frequency(me, f).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live stream: server-sent events, one per change, each carrying the
/// unread counts. Pages fall back to reloading without it.
pub(crate) async fn live_stream(
    state: AppState,
    me: MemberId,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = state.store.hub.subscribe(me.0);
    let first = counts_event(&state, me, None).await;
    let stream = futures::stream::unfold(
        (rx, state, Some(first)),
        move |(mut rx, state, first)| async move {
            if let Some(ev) = first {
                return Some((Ok(ev), (rx, state, None)));
            }
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        let ev = counts_event(&state, me, Some(e)).await;
                        return Some((Ok(ev), (rx, state, None)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn counts_event(state: &AppState, me: MemberId, what: Option<net::LiveEvent>) -> Event {
    let net = state.store.network();
    let notices = net.unread_notices(me).await.unwrap_or(0);
    let messages = net.unread_messages(me).await.unwrap_or(0);
    let name = match what {
        Some(net::LiveEvent::Feed) => "feed",
        Some(net::LiveEvent::Message) => "message",
        _ => "notification",
    };
    Event::default()
        .event(name)
        .data(serde_json::json!({ "notifications": notices, "messages": messages }).to_string())
}

#[utoipa::path(get, path = "/live", tag = "network",
    responses((status = 200, description = "Server-sent events: `notification`, `message` and `feed`, each with `{\"notifications\": n, \"messages\": m}` unread counts", content_type = "text/event-stream")))]
async fn live(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let me = member(&state, &ctx).await?;
    Ok(live_stream(state, me).await.into_response())
}

/// A conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    /// The other person.
    pub peer: Person,
    /// The latest message.
    pub last: String,
    /// The latest message was yours.
    pub last_mine: bool,
    /// RFC 3339.
    pub last_at: String,
    /// Unread messages.
    pub unread: u32,
    /// A message request from someone who is not a connection.
    pub is_request: bool,
}

/// A message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    /// Id of your copy.
    pub id: Uuid,
    /// Written by you.
    pub mine: bool,
    /// The text.
    pub body: String,
    /// RFC 3339.
    pub sent_at: String,
}

/// A new message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The text (up to 8,000 characters).
    pub body: String,
}

#[utoipa::path(get, path = "/messages", tag = "network",
    responses((status = 200, description = "Your conversations, most recent first", body = [ConversationResponse])))]
async fn conversations(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ConversationResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().conversations(me).await?;
    Ok(Json(
        list.iter()
            .map(|c| ConversationResponse {
                peer: (&c.peer).into(),
                last: c.last.clone(),
                last_mine: c.last_mine,
                last_at: c.last_at.to_rfc3339(),
                unread: c.unread,
                is_request: c.is_request,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/messages/{handle}", tag = "network",
    params(("handle" = String, Path, description = "The other person")),
    responses((status = 200, description = "The conversation, oldest first; marked read", body = [MessageResponse])))]
async fn conversation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<Json<Vec<MessageResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let peer = by_handle(&state, &handle).await?;
    if state.store.network().relation(Some(me), peer.0).await? == Relation::Blocked {
        return Err(AppError::NotFound.into());
    }
    let list = state.store.network().conversation(me, peer).await?;
    Ok(Json(
        list.iter()
            .map(|m| MessageResponse {
                id: m.id,
                mine: m.mine,
                body: m.body.clone(),
                sent_at: m.sent_at.to_rfc3339(),
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/messages/{handle}", tag = "network", request_body = MessageRequest,
    params(("handle" = String, Path, description = "The other person")),
    responses((status = 201, description = "Sent", body = CreatedResponse),
        (status = 403, description = "Not a connection, and they accept no message requests", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Yourself, or a request already waiting for their reply", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = Problem, content_type = "application/problem+json")))]
async fn send_message(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    ApiJson(b): ApiJson<MessageRequest>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let peer = by_handle(&state, &handle).await?;
    let id = state
        .store
        .network()
        .send_message(me, peer, &b.body)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(CreatedResponse { id })))
}

#[utoipa::path(delete, path = "/messages/{handle}", tag = "network",
    params(("handle" = String, Path, description = "The other person")),
    responses((status = 204, description = "Your copy deleted; theirs stays with them")))]
async fn delete_conversation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    let peer = by_handle(&state, &handle).await?;
    state.store.network().delete_conversation(me, peer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// `post`, `comment`, `message` (one you received) or `profile` (a member id).
    #[schema(value_type = String)]
    pub target_kind: ReportTarget,
    /// What.
    pub target_id: Uuid,
    /// spam, harassment, hate, violence, sexual, misinformation, impersonation or other.
    #[schema(value_type = String)]
    pub reason: Reason,
    /// Your words (needed with `other`).
    #[serde(default)]
    pub details: String,
}

/// A report made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// Id.
    pub id: Uuid,
}

#[utoipa::path(post, path = "/reports", tag = "network", request_body = ReportRequest,
    responses((status = 201, description = "Reported; the person reported never learns who reported", body = ReportResponse),
        (status = 404, description = "Nothing you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reported by you, or your own", body = Problem, content_type = "application/problem+json")))]
async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportResponse>), ApiError> {
    let me = member(&state, &ctx).await?;
    let id = state
        .store
        .network()
        .report(me, b.target_kind, b.target_id, b.reason, &b.details)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(ReportResponse { id })))
}

pub(crate) async fn moderator(state: &AppState, ctx: &Ctx) -> Result<MemberId, AppError> {
    let me = member(state, ctx).await?;
    if ctx
        .member
        .as_ref()
        .is_some_and(|m| m.role == lyceum_core::domain::Role::Operator)
    {
        Ok(me)
    } else {
        Err(AppError::Forbidden(
            "Only the instance's operators moderate.".into(),
        ))
    }
}

/// Reports about one thing.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueResponse {
    /// Act on this report.
    pub report_id: Uuid,
    /// What was reported.
    pub target_kind: String,
    /// Its id.
    pub target_id: Uuid,
    /// Whose it is.
    pub owner: Option<Person>,
    /// The text as reported.
    pub excerpt: String,
    /// One reason per report.
    pub reasons: Vec<String>,
    /// Reporters' words, without their names.
    pub details: Vec<String>,
    /// RFC 3339.
    pub first_reported: String,
}

#[utoipa::path(get, path = "/moderation/queue", tag = "network",
    responses((status = 200, description = "Open reports, oldest first (operators)", body = [QueueResponse]),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json")))]
async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<QueueResponse>>, ApiError> {
    moderator(&state, &ctx).await?;
    let list = state.store.network().moderation_queue(100).await?;
    Ok(Json(
        list.iter()
            .map(|q| QueueResponse {
                report_id: q.report_id,
                target_kind: q.target_kind.key().into(),
                target_id: q.target_id,
                owner: q.owner.as_ref().map(Into::into),
                excerpt: q.excerpt.clone(),
                reasons: q.reasons.iter().map(|r| r.key().to_owned()).collect(),
                details: q.details.clone(),
                first_reported: q.first_reported.to_rfc3339(),
            })
            .collect(),
    ))
}

/// A moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `remove`, `warn` or `dismiss`.
    #[schema(value_type = String)]
    pub decision: Decision,
    /// The rule.
    #[schema(value_type = String)]
    pub reason: Reason,
    /// Words the member will read (needed unless dismissing).
    #[serde(default)]
    pub explanation: String,
}

#[utoipa::path(post, path = "/moderation/reports/{id}/decision", tag = "network", request_body = DecisionRequest,
    params(("id" = Uuid, Path, description = "A report from the queue")),
    responses((status = 204, description = "Decided; the member is told"),
        (status = 404, description = "No such open report", body = Problem, content_type = "application/problem+json")))]
async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    let me = moderator(&state, &ctx).await?;
    state
        .store
        .network()
        .moderate(me, parse_id(&id)?, b.decision, b.reason, &b.explanation)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A decision about a member's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResponse {
    /// Id.
    pub id: Uuid,
    /// What was acted on.
    pub target_kind: String,
    /// Its id.
    pub target_id: Uuid,
    /// `removed` or `warned`.
    pub action: String,
    /// The rule.
    pub reason: String,
    /// The moderator's words.
    pub explanation: String,
    /// RFC 3339.
    pub at: String,
    /// The appeal.
    pub appeal: Option<String>,
    /// `upheld` or `reversed`.
    pub outcome: Option<String>,
}

fn action_response(a: &net::ActionView) -> ActionResponse {
    ActionResponse {
        id: a.id,
        target_kind: a.target_kind.key().into(),
        target_id: a.target_id,
        action: a.action.clone(),
        reason: a.reason.key().into(),
        explanation: a.explanation.clone(),
        at: a.at.to_rfc3339(),
        appeal: a.appeal.clone(),
        outcome: a.outcome.clone(),
    }
}

#[utoipa::path(get, path = "/me/moderation", tag = "network",
    responses((status = 200, description = "Decisions about your content, with the reasons", body = [ActionResponse])))]
async fn my_moderation(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ActionResponse>>, ApiError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().my_moderation(me).await?;
    Ok(Json(list.iter().map(action_response).collect()))
}

/// An appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// Why the decision is wrong.
    pub text: String,
}

#[utoipa::path(post, path = "/moderation/actions/{id}/appeal", tag = "network", request_body = AppealRequest,
    params(("id" = Uuid, Path, description = "A decision about your content")),
    responses((status = 204, description = "Appealed"), (status = 409, description = "Already appealed", body = Problem, content_type = "application/problem+json")))]
async fn appeal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AppealRequest>,
) -> Result<StatusCode, ApiError> {
    let me = member(&state, &ctx).await?;
    state
        .store
        .network()
        .appeal(me, parse_id(&id)?, &b.text)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/moderation/appeals", tag = "network",
    responses((status = 200, description = "Appeals waiting for a decision (operators)", body = [ActionResponse])))]
async fn appeals(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ActionResponse>>, ApiError> {
    moderator(&state, &ctx).await?;
    let list = state.store.network().open_appeals().await?;
    Ok(Json(list.iter().map(action_response).collect()))
}

/// Deciding an appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionRequest {
    /// True restores removed content.
    pub reverse: bool,
}

#[utoipa::path(post, path = "/moderation/actions/{id}/decision", tag = "network", request_body = AppealDecisionRequest,
    params(("id" = Uuid, Path, description = "An appealed decision")),
    responses((status = 204, description = "Decided; the member is told")))]
async fn decide_appeal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AppealDecisionRequest>,
) -> Result<StatusCode, ApiError> {
    moderator(&state, &ctx).await?;
    state
        .store
        .network()
        .decide_appeal(parse_id(&id)?, b.reverse)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// One line of the public log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogResponse {
    /// RFC 3339.
    pub at: String,
    /// What kind of thing.
    pub target_kind: String,
    /// `removed` or `warned`.
    pub action: String,
    /// The rule.
    pub reason: String,
    /// After an appeal.
    pub outcome: Option<String>,
}

#[utoipa::path(get, path = "/moderation/log", tag = "network",
    responses((status = 200, description = "What moderators did and why, without names or content", body = [LogResponse])))]
async fn public_log(State(state): State<AppState>) -> Result<Json<Vec<LogResponse>>, ApiError> {
    let list = state.store.network().moderation_log(200).await?;
    Ok(Json(
        list.iter()
            .map(|l| LogResponse {
                at: l.at.to_rfc3339(),
                target_kind: l.target_kind.key().into(),
                action: l.action.clone(),
                reason: l.reason.key().into(),
                outcome: l.outcome.clone(),
            })
            .collect(),
    ))
}
