<?php
/**
 * Where the backend lives and how it is reached; one place so the controllers, the install
 * scripts and the nginx include agree.
 */
class Modules_PassengerPanel_Config
{
    /** Loopback port of the backend; the panel's nginx proxies PROXY_PATH to it. */
    const BACKEND_PORT = 8737;

    /** Path below the panel origin that nginx sends to the backend (prefix stripped). */
    const PROXY_PATH = '/modules/passenger-panel/panel';

    /** Where post-install copies the backend bundle and where the systemd unit runs it from. */
    const BACKEND_DIR = '/opt/passenger-panel';

    const SERVICE_NAME = 'passenger-panel.service';

    const UNIT_PATH = '/etc/systemd/system/passenger-panel.service';

    /** The panel's own nginx (sw-cp-server) reads extra server-level snippets from here. */
    const PANEL_NGINX_INCLUDE = '/etc/sw-cp-server/conf.d/passenger-panel.inc';

    /** Tokens only carry the user from Plesk to the backend once; the backend refuses anything over 300 s. */
    const TOKEN_LIFETIME_SECONDS = 60;

    public static function secretPath()
    {
        return rtrim(pm_Context::getVarDir(), '/') . '/token.secret';
    }

    /** URL (same origin as the panel) that exchanges a token for a backend session. */
    public static function loginUrl($token, $next)
    {
        return self::PROXY_PATH . '/auth/plesk?' . http_build_query(['token' => $token, 'next' => $next]);
    }
}
