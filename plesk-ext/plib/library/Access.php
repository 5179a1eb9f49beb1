<?php
/**
 * Turns the Plesk session into token claims: who the user is, which role, which domains.
 * Rights are Plesk's own (pm_Client::hasAccessToDomain), checked here before any token is minted.
 */
class Modules_PassengerPanel_Access
{
    /** @return string admin | reseller | customer */
    public static function roleOf(pm_Client $client)
    {
        if ($client->isAdmin()) {
            return 'admin';
        }
        if ($client->isReseller()) {
            return 'reseller';
        }
        if ($client->isClient()) {
            return 'customer';
        }
        throw new pm_Exception('This Plesk user has no role Passenger Panel knows.');
    }

    /**
     * Every domain the client may open. Plesk decides per domain; asking it for each is what keeps
     * resellers (their customers' domains) and customers (their own) right without our own rules.
     *
     * @return string|string[] '*' for administrators
     */
    public static function allowedDomains(pm_Client $client)
    {
        if ($client->isAdmin()) {
            return '*';
        }
        $names = [];
        foreach (pm_Domain::getAllDomains() as $domain) {
            if ($client->hasAccessToDomain($domain->getId())) {
                $names[] = $domain->getName();
            }
        }
        sort($names);
        return $names;
    }

    /**
     * Claims for opening one domain's page; refuses before minting when Plesk says no.
     *
     * @param int $domainId the site_id Plesk passes to a DOMAIN_PROPERTIES button
     * @return array [user, role, domains, open]
     */
    public static function forDomain($domainId)
    {
        $client = pm_Session::getClient();
        $domainId = (int)$domainId;
        if ($domainId <= 0) {
            throw new pm_Exception('No domain was given; open Passenger Panel from a domain page.');
        }
        if (!$client->hasAccessToDomain($domainId)) {
            throw new pm_Exception('You do not have access to this domain.');
        }
        $name = pm_Domain::getByDomainId($domainId)->getName();
        return [self::loginOf($client), self::roleOf($client), self::allowedDomains($client), $name];
    }

    /** Claims for the admin overview. */
    public static function forAdmin()
    {
        $client = pm_Session::getClient();
        if (!$client->isAdmin()) {
            throw new pm_Exception('Only the Plesk administrator can open the server overview.');
        }
        return [self::loginOf($client), 'admin', '*', null];
    }

    private static function loginOf(pm_Client $client)
    {
        $login = $client->getLogin();
        return $login === null || $login === '' ? 'client-' . $client->getId() : $login;
    }
}
